// The operator dashboard (`GET /`, issue 18) in a real browser: Debian's
// chromium, headless, driven over the DevTools protocol by
// tests/browser/dashboard_test.mjs (puppeteer-core). The test starts a
// cluster of three, puts some load on every node, then runs the driver as a
// child: it waits until the page shows three nodes up and charts with data,
// kills n3 (SIGKILL) and waits until the page shows n3 down, its shards
// served by the survivors in their legend colors and a node_down event.
//
// scripts/install-browser-deps.sh (run by scripts/install-deps.sh) installs
// chromium, node and tests/browser/node_modules; without them this test
// fails. Screenshots: TROUPE_DASHBOARD_OUT (the build dir's
// test-output/dashboard/dashboard-before.png and dashboard-after.png), with
// the driver's output in driver.log beside them.
#include "cluster.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#ifndef TROUPE_BROWSER_TESTS
#error "TROUPE_BROWSER_TESTS (the path of tests/browser) is not defined"
#endif
#ifndef TROUPE_DASHBOARD_OUT
#error "TROUPE_DASHBOARD_OUT (where the screenshots go) is not defined"
#endif

using namespace troupe_cluster;
using namespace std::chrono_literals;

namespace {

const std::string browser_dir = TROUPE_BROWSER_TESTS;
const std::string out_dir = TROUPE_DASHBOARD_OUT;
const std::string chromium = "/usr/bin/chromium";
constexpr size_t victim = 2; // n3
/// The driver's own waits: 20 s for the page to show the cluster, 15 s for
/// the failure, plus starting the browser; it is killed after this.
constexpr auto driver_timeout = 60s;

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// Size of a file, -1 if absent.
long long file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size)
                                        : -1;
}

/// Runs `argv` (argv[0] looked up in PATH) in `cwd`, stdout and stderr to
/// `log_path`. Returns the waitpid status, or -1 if it did not exit within
/// `timeout` (then it got SIGTERM, which makes the driver close its
/// browser, and SIGKILL 5 s later).
int run_child(const std::vector<std::string>& argv, const std::string& cwd,
              const std::string& log_path, std::chrono::milliseconds timeout) {
  ::unlink(log_path.c_str()); // this run's log only
  troupe_e2e::spawn_options opts;
  opts.out_path = log_path;
  opts.cwd = cwd;
  opts.search_path = true;
  opts.own_group = true;
  int pid = troupe_e2e::spawn_process(argv, opts);
  if (pid < 0)
    return -1;
  int status = troupe_e2e::wait_exit(pid, timeout);
  if (status != -1)
    return status;
  ::kill(pid, SIGTERM);
  if (troupe_e2e::wait_exit(pid, 5s) == -1) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  return -1;
}

/// Pastes created and read, cache entries put and read, through every
/// node in turn for `duration`: traffic the page's charts show.
void generate_load(cluster& c, std::chrono::milliseconds duration) {
  auto until = std::chrono::steady_clock::now() + duration;
  size_t failed = 0;
  std::string last_failure;
  for (size_t k = 0; std::chrono::steady_clock::now() < until; ++k) {
    auto port = c.port(k % c.size());
    auto contents = "dashboard load #" + std::to_string(k);
    auto link = create_paste(port, contents);
    if (!link.empty()) {
      auto r = get_paste(c.port((k + 1) % c.size()), link);
      if (r.status != 200)
        ++failed, last_failure = "GET paste " + link + ": " + r.body;
    }
    auto key = "dashboard-" + std::to_string(k % 200);
    auto put = put_entry(port, key, contents);
    if (put.status != 204)
      ++failed, last_failure = "PUT " + key + ": " + put.body;
    auto got = get_entry(c.port((k + 2) % c.size()), key);
    if (got.status != 200)
      ++failed, last_failure = "GET " + key + ": " + got.body;
  }
  EXPECT_EQ(failed, 0u) << "last: " << last_failure;
}

class clusterDashboard : public fresh_cluster_test {};

} // namespace

TEST_F(clusterDashboard, BrowserShowsTheNodesAndTheFailoverOfAKilledNode) {
  // Missing tools fail the test: the install script provides them.
  ASSERT_TRUE(is_file(chromium))
      << chromium << " is missing: run scripts/install-browser-deps.sh";
  ASSERT_TRUE(
      is_file(browser_dir + "/node_modules/puppeteer-core/package.json"))
      << browser_dir
      << "/node_modules is missing: run scripts/install-browser-deps.sh";

  generate_load(c(), 3s);

  int pid = c().pid_of(victim);
  ASSERT_GT(pid, 0) << "no process of " << c().name(victim);
  std::filesystem::create_directories(out_dir);
  auto before = out_dir + "/dashboard-before.png";
  auto after = out_dir + "/dashboard-after.png";
  auto log_path = out_dir + "/driver.log";
  ::unlink(before.c_str());
  ::unlink(after.c_str());

  auto url = "http://" + c().http_endpoint(0) + "/";
  int status = run_child({"node", browser_dir + "/dashboard_test.mjs", "--url",
                          url, "--kill-pid", std::to_string(pid), "--kill-node",
                          c().name(victim), "--out", out_dir, "--nodes",
                          std::to_string(c().size()), "--chromium", chromium},
                         browser_dir, log_path, driver_timeout);
  auto driver_log = troupe_e2e::read_file(log_path);
  ASSERT_NE(status, -1) << "the driver did not finish within "
                        << driver_timeout.count() << " s:\n"
                        << driver_log;
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the driver failed ("
      << (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                            : "signal " + std::to_string(WTERMSIG(status)))
      << "):\n"
      << driver_log;
  EXPECT_GT(file_size(before), 0) << before;
  EXPECT_GT(file_size(after), 0) << after;
  std::cout << driver_log;
}
