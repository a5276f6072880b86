// End-to-end tests of Mint pulling from an https institution: the
// institution simulator examples/bank_sim serves TLS (--tls-cert/--tls-key)
// with a certificate for IP 127.0.0.1 issued by a throwaway CA (made with
// the `openssl` CLI in a temp dir). A node trusting that CA
// ([mint] ca_file) pulls the account's transactions; a node that does not
// (no ca_file: TLS verification stays on) fails the pull as `unreachable`.
//
// The CA and the simulator are shared by the suite; each test starts its
// own node.
#include "harness.hpp"
#include "listening_process.hpp"
#include "shared_node.hpp"
#include "test_certificates.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#ifndef TROUPE_BANK_SIM
#error "TROUPE_BANK_SIM (the path of the bank_sim binary) must be defined"
#endif

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

const std::string api = "/mint/api/v1/";

/// The key of the nodes here (64 hex digits).
const char* const node_key =
    "0b1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// A temp directory, removed (with everything in it) on destruction.
struct temp_dir {
  std::string path = make_temp_dir();
  ~temp_dir() { remove_tree(path); }
};

/// bank_sim serving https on a free port; killed when destroyed.
/// `port()` is 0 when it did not start (see `error()`).
class tls_bank_sim {
public:
  explicit tls_bank_sim(const std::string& dir)
      : log_(dir + "/bank_sim.log"),
        proc_({TROUPE_BANK_SIM, "--port", "0", "--tls-cert",
               dir + "/server.pem", "--tls-key", dir + "/server.key"},
              log_) {
    if (proc_.port() == 0)
      error_ = proc_.error() + "; stderr:\n" + read_file(log_);
  }

  uint16_t port() const { return proc_.port(); }
  const std::string& error() const { return error_; }

  /// Whether the process is still there.
  bool alive() const { return proc_.alive(); }

  /// The https account URL of this simulator.
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(port()) + "/bank";
  }

private:
  std::string log_;
  std::string error_;
  troupe_e2e::listening_process proc_;
};

/// A node with 4 Mint shards, one try per pull, a first pull reaching back
/// 400 days (all of bank_sim's data) and `extra` more [mint] settings.
std::string mint_config(const std::string& extra) {
  return R"(
[[nodes]]
name = "n1"
actor = "127.0.0.1:{ACTOR_PORT}"
http = "127.0.0.1:{PORT}"
data_dir = "{DATA_DIR}"

[mint]
shards = 4
seller_shards = 2
institution_hosts = ["127.0.0.1"]
history_days = 400
extract_attempts = 1
connect_timeout_ms = 5000
read_timeout_ms = 10000
)" + extra;
}

http_response get_job(connection& c, const std::string& id) {
  return c.request("GET", api + "job?job_id=" + url_encode(id));
}

/// Links alice's account at `url`; returns the account id ("" on failure,
/// reported).
std::string link_alice(connection& c, const std::string& user,
                       const std::string& url) {
  auto r = post_json(c, api + "account",
                     json{{"user_id", user},
                          {"account_url", url},
                          {"account_login", "alice"},
                          {"account_password", "pass-alice"}}
                         .dump());
  EXPECT_EQ(r.status, 201) << r.body;
  auto account = r.status == 201
                     ? r.body_json().value("account_id", std::string{})
                     : std::string{};
  EXPECT_FALSE(account.empty()) << r.body;
  return account;
}

/// The job of `account`'s first pull: job ids are "<shard>-<n>" numbered
/// per shard and the link's answer names none, so this looks at the first
/// ids of the account's shard (at most 20, for at most 10 s). "" when none
/// is found (reported).
std::string first_job(connection& c, const std::string& account) {
  auto shard = account.substr(0, account.find('-'));
  auto deadline = steady::now() + 10s;
  for (int n = 1; n <= 20 && steady::now() < deadline; ++n) {
    auto id = shard + "-" + std::to_string(n);
    auto r = get_job(c, id);
    if (r.status == 200 &&
        r.body_json().value("account_id", std::string{}) == account)
      return id;
  }
  ADD_FAILURE() << "no job of account " << account;
  return {};
}

/// Polls GET job until it is done or failed (at most `timeout`, 25 ms
/// apart); returns the last answer's JSON.
json wait_job(connection& c, const std::string& id,
              std::chrono::milliseconds timeout = 30s) {
  auto deadline = steady::now() + timeout;
  json last;
  while (steady::now() < deadline) {
    auto r = get_job(c, id);
    last = r.status == 200 ? r.body_json() : json{{"http", r.status}};
    auto status = last.value("status", std::string{});
    if (status == "done" || status == "failed")
      return last;
    std::this_thread::sleep_for(25ms);
  }
  ADD_FAILURE() << "job " << id << " not finished within " << timeout.count()
                << " ms; last: " << last.dump();
  return last;
}

class MintTlsE2E : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    // Nodes started afterwards inherit the key; the old value comes back
    // after the suite.
    if (const char* old = std::getenv("TROUPE_MINT_KEY"))
      old_key_ = std::make_unique<std::string>(old);
    ::setenv("TROUPE_MINT_KEY", node_key, 1);
    try {
      dir_ = new temp_dir;
      error_ = make_certificates(dir_->path);
      if (error_.empty()) {
        sim_ = new tls_bank_sim(dir_->path);
        error_ = sim_->error();
      }
    } catch (const std::exception& e) {
      error_ = std::string{"suite setup: "} + e.what();
    }
  }

  static void TearDownTestSuite() {
    delete sim_; // before its files go
    sim_ = nullptr;
    delete dir_;
    dir_ = nullptr;
    if (old_key_)
      ::setenv("TROUPE_MINT_KEY", old_key_->c_str(), 1);
    else
      ::unsetenv("TROUPE_MINT_KEY");
    old_key_.reset();
  }

  void SetUp() override {
    ASSERT_TRUE(error_.empty()) << error_;
    ASSERT_TRUE(sim_ != nullptr && sim_->port() != 0);
  }

  static std::string ca_file() { return dir_->path + "/ca.pem"; }

  static inline temp_dir* dir_ = nullptr;
  static inline tls_bank_sim* sim_ = nullptr;
  static inline std::string error_;
  static inline std::unique_ptr<std::string> old_key_;
};

TEST_F(MintTlsE2E, PullsFromAnHttpsInstitutionWhoseCaIsTrusted) {
  node_process node{mint_config("ca_file = \"" + ca_file() + "\"\n")};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  const std::string user = "tls-alice";
  auto account = link_alice(c, user, sim_->url());
  ASSERT_FALSE(account.empty());
  auto job_id = first_job(c, account);
  ASSERT_FALSE(job_id.empty());
  auto job = wait_job(c, job_id);
  ASSERT_EQ(job.value("status", ""), "done") << job.dump() << "\n"
                                             << tail_lines(node.log(), 30);
  EXPECT_GT(job.value("transactions", 0), 0) << job.dump();
  EXPECT_EQ(job.value("account_id", ""), account) << job.dump();

  auto spending =
      c.request("GET", api + "spending?user_id=" + user + "&month=2026-10");
  ASSERT_EQ(spending.status, 200) << spending.body;
  auto rows = spending.body_json();
  ASSERT_TRUE(rows.is_array()) << spending.body;
  EXPECT_FALSE(rows.empty()) << spending.body;

  // A refresh over the same TLS server adds nothing twice.
  auto rr = post_json(c, api + "account/refresh",
                      json{{"account_id", account}}.dump());
  ASSERT_EQ(rr.status, 202) << rr.body;
  auto again = wait_job(c, rr.body_json().value("job_id", std::string{}));
  EXPECT_EQ(again.value("status", ""), "done") << again.dump();
  EXPECT_EQ(again.value("transactions", -1), 0) << again.dump();
  stop_cleanly(node);
}

TEST_F(MintTlsE2E, AnUntrustedCertificateIsUnreachable) {
  // Plain HTTP gets no answer from the TLS-only simulator: the failed
  // handshake just closes the connection.
  EXPECT_THROW(request(sim_->port(), "GET", "/_stats"), io_error);

  // No ca_file: the node trusts only the system's CAs.
  node_process node{mint_config("")};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  auto account = link_alice(c, "tls-untrusting", sim_->url());
  ASSERT_FALSE(account.empty());
  auto job_id = first_job(c, account);
  ASSERT_FALSE(job_id.empty());
  auto job = wait_job(c, job_id);
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "unreachable") << job.dump();
  EXPECT_EQ(job.value("attempts", 0), 1) << job.dump();
  EXPECT_EQ(job.value("transactions", -1), 0) << job.dump();
  EXPECT_TRUE(sim_->alive()) << "bank_sim exited";
  stop_cleanly(node);
}

// mint.max_response_bytes bounds what a pull reads: alice's 273
// transactions (about 30 KB) over 1 KiB are a bad response, not retried,
// and nothing is stored.
TEST_F(MintTlsE2E, AnAnswerOverMaxResponseBytesIsABadResponse) {
  node_process node{mint_config("ca_file = \"" + ca_file() +
                                "\"\nmax_response_bytes = 1024\n")};
  node.start();
  ASSERT_TRUE(node.wait_ready());
  connection c{node.port()};
  const std::string user = "tls-too-big";
  auto account = link_alice(c, user, sim_->url());
  ASSERT_FALSE(account.empty());
  auto job = wait_job(c, first_job(c, account));
  EXPECT_EQ(job.value("status", ""), "failed") << job.dump();
  EXPECT_EQ(job.value("error", ""), "bad_response") << job.dump();
  EXPECT_EQ(job.value("attempts", 0), 1) << job.dump();
  auto spending =
      c.request("GET", api + "spending?user_id=" + user + "&month=2026-10");
  EXPECT_EQ(spending.status, 200) << spending.body;
  EXPECT_EQ(spending.body, "[]");
  stop_cleanly(node);
}

} // namespace
