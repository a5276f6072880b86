// The node link (docs/design.md, "The node link"): an edge sends the
// requests for shards another node serves over one TCP connection to that
// node, many requests per write. When that node dies, every request in
// flight to it fails at once with 503, and no request is ever answered
// twice: each keeps its own answer, in order, on a pipelined connection.
#include "cluster.hpp"

#include <future>
#include <thread>

#include <gtest/gtest.h>

using namespace troupe_cluster;
using namespace std::chrono_literals;
using troupe_e2e::connection;

namespace {

constexpr size_t victim = 2; // n3

/// A failure timeout long enough to tell a request failed when its node's
/// link drops from one failed by the failure detector.
class clusterLink : public fresh_cluster_test {
protected:
  node_settings settings() const override {
    node_settings s;
    s.failure_timeout = std::chrono::seconds(8);
    return s;
  }

  void SetUp() override {
    fresh_cluster_test::SetUp();
    if (HasFatalFailure())
      return;
    pastes_ = create_pastes(c(), 30, "over the link");
    ASSERT_EQ(pastes_.size(), 30u);
    victims_ = owned_by(c(), pastes_, victim);
    others_ = owned_by(c(), pastes_, victim, false);
    ASSERT_FALSE(victims_.empty()) << "n3 owns none of the pastes";
    ASSERT_FALSE(others_.empty());
  }

  std::vector<paste> pastes_;
  std::vector<paste> victims_;
  std::vector<paste> others_;
};

} // namespace

TEST_F(clusterLink, EveryRequestInFlightToANodeThatDiesFailsAtOnce) {
  constexpr size_t batch = 24;
  c().freeze(victim); // holds the reads at n3 ...
  std::vector<std::future<http_response>> reads;
  for (size_t i = 0; i < batch; ++i) {
    const auto& p = victims_[i % victims_.size()];
    reads.push_back(std::async(std::launch::async, [&, link = p.shortlink] {
      return get_paste(c().port(0), link);
    }));
  }
  ASSERT_TRUE(eventually(
      [&] { return in_flight(c().port(0)) >= static_cast<double>(batch + 1); },
      10s))
      << "the reads did not all reach n1's edge";
  auto killed_at = std::chrono::steady_clock::now();
  c().node(victim).kill9(); // ... until its link drops
  for (auto& read : reads) {
    auto r = read.get();
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.error_code(), "unavailable") << r.body;
  }
  auto took = elapsed_ms(killed_at);
  EXPECT_LT(took, millis(c().settings().failure_timeout / 2).count())
      << "the last read failed " << took << " ms after the kill";
}

TEST_F(clusterLink, PipelinedRequestsAreEachAnsweredOnceAcrossAKill) {
  // Reads of n3's pastes and of the others', alternating, on one
  // connection; n3 is killed while they are in flight.
  std::vector<const paste*> order;
  for (size_t i = 0; i < 40; ++i)
    order.push_back(i % 2 == 0 ? &victims_[i / 2 % victims_.size()]
                               : &others_[i / 2 % others_.size()]);
  std::string bytes;
  for (const auto* p : order)
    bytes += "GET /pastebin/api/v1/paste?shortlink=" + p->shortlink +
             " HTTP/1.1\r\nHost: x\r\n\r\n";
  connection conn{c().port(0), 30s};
  c().freeze(victim);
  auto first = std::async(std::launch::async, [&] { return conn.raw(bytes); });
  std::this_thread::sleep_for(300ms);
  c().node(victim).kill9();
  std::vector<http_response> answers;
  answers.push_back(first.get());
  for (size_t i = 1; i < order.size(); ++i)
    answers.push_back(conn.next_response());
  for (size_t i = 0; i < order.size(); ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    const auto& r = answers[i];
    bool mine = i % 2 == 0;
    if (r.status == 200) {
      EXPECT_EQ(r.body_json().value("shortlink", ""), order[i]->shortlink);
      EXPECT_EQ(r.body_json().value("paste_contents", ""), order[i]->contents);
    } else {
      EXPECT_TRUE(mine) << "a read of a live node's paste failed: " << r.body;
      EXPECT_EQ(r.status, 503) << r.body;
    }
  }
  // Nothing more was answered: the next request gets its own answer.
  const auto& last = others_.front();
  auto r =
      conn.request("GET", "/pastebin/api/v1/paste?shortlink=" + last.shortlink);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body_json().value("shortlink", ""), last.shortlink);
}

TEST_F(clusterLink, ARequestInFlightToANodeThatLostItsLeaseFailsAtOnce) {
  // A frozen node drops no connection and stays "up" for the failure
  // timeout (8 s here), but its lease expires after lease_ttl: it serves
  // nothing from then on, and the read waiting on it fails then.
  const auto& p = victims_.front();
  c().freeze(victim);
  auto frozen_at = std::chrono::steady_clock::now();
  auto r = get_paste(c().port(0), p.shortlink);
  auto took = elapsed_ms(frozen_at);
  EXPECT_EQ(r.status, 503) << r.body;
  auto before_detector = c().settings().failure_timeout - 1s;
  EXPECT_LT(took, millis(before_detector).count())
      << "failed " << took << " ms after the freeze (lease TTL "
      << c().settings().lease_ttl.count() << " ms): " << r.body;
}
