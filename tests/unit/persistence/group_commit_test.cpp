#include "troupe/persistence/group_committer.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "persistence/temp_dir.hpp"

using namespace troupe::persistence;
using namespace std::chrono_literals;
using troupe::config::durability;
using troupe::config::persistence_settings;
using troupe::persistence::testing::temp_dir;

namespace {

persistence_settings settings(durability level, size_t max_queue = 65536) {
  persistence_settings cfg;
  cfg.level = level;
  cfg.map_size_mb = 256;
  cfg.max_queue = max_queue;
  cfg.sync_interval = 10ms;
  cfg.compact_after = 0;
  return cfg;
}

journal_entry put(uint64_t seq, std::string key, std::string value) {
  return journal_entry{seq, 0, {{journal_op::put, key, value}}};
}

/// A started committer on a fresh environment with one store, "svc".
struct running_committer {
  explicit running_committer(const persistence_settings& cfg,
                             uint64_t map_size_mb = 256)
      : env{tmp.path(), map_size_mb, cfg.level}, st{env, "svc"}, gc{env, cfg} {
    gc.start();
  }
  temp_dir tmp;
  lmdb_env env;
  store st;
  group_committer gc;
};

/// Holds the committer thread inside a task until `release()`.
class blocker {
public:
  explicit blocker(group_committer& gc) {
    // The task owns copies of the shared states: it may still be inside
    // wait() when the blocker is gone.
    auto started = std::make_shared<std::promise<void>>();
    auto started_future = started->get_future();
    gc.submit_task([started, released = released_] {
      started->set_value();
      released.wait();
    });
    started_future.wait();
  }
  ~blocker() { release(); }
  void release() {
    if (!done_) {
      done_ = true;
      release_.set_value();
    }
  }

private:
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  bool done_ = false;
};

/// Counts acknowledgements; safe to use from the committer thread.
struct ack_counter {
  std::atomic<size_t> ok{0};
  std::atomic<size_t> failed{0};
  std::mutex mtx;
  std::string last_error;
  group_committer::done_fn fn() {
    return [this](bool success, const std::string& err) {
      if (success) {
        ++ok;
      } else {
        std::lock_guard<std::mutex> guard{mtx};
        last_error = err;
        ++failed;
      }
    };
  }
};

} // namespace

TEST(persistence_group_committer,
     concurrent_submitters_share_batches_and_survive_reopen) {
  temp_dir tmp;
  constexpr size_t threads = 8;
  constexpr size_t per_thread = 1000;
  ack_counter acks;
  std::atomic<size_t> not_accepted{0};
  {
    lmdb_env env{tmp.path(), 256, durability::sync};
    store st{env, "svc"};
    group_committer gc{env, settings(durability::sync)};
    gc.start();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (size_t t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        for (size_t i = 1; i <= per_thread; ++i) {
          auto res =
              gc.submit(st, static_cast<uint16_t>(t),
                        put(i, "k" + std::to_string(i), std::string(100, 'v')),
                        acks.fn());
          if (res != submit_result::accepted)
            ++not_accepted;
        }
      });
    for (auto& w : workers)
      w.join();
    gc.flush();
    std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(not_accepted, 0u);
    EXPECT_EQ(acks.ok, threads * per_thread);
    EXPECT_EQ(acks.failed, 0u);
    EXPECT_EQ(gc.entries_committed(), threads * per_thread);
    EXPECT_LT(gc.commits(), threads * per_thread);
    EXPECT_GE(gc.fsyncs(), gc.commits());
    EXPECT_GT(gc.used_bytes(), 0u);
    std::printf(
        "[ group commit ] %zu synced entries in %.3f s: %.0f entries/s, "
        "%llu txns (%.1f entries/txn)\n",
        threads * per_thread, secs.count(),
        static_cast<double>(threads * per_thread) / secs.count(),
        static_cast<unsigned long long>(gc.commits()),
        static_cast<double>(threads * per_thread) /
            static_cast<double>(gc.commits()));
  }
  lmdb_env env{tmp.path(), 256, durability::sync};
  store st{env, "svc"};
  for (size_t t = 0; t < threads; ++t) {
    auto img = st.load_shard(static_cast<uint16_t>(t));
    EXPECT_EQ(img.records.size(), per_thread);
    EXPECT_EQ(img.last_seq, per_thread);
  }
}

TEST(persistence_group_committer, writes_of_a_shard_commit_in_submit_order) {
  running_committer f{settings(durability::group)};
  auto& st = f.st;
  auto& gc = f.gc;
  constexpr uint16_t shards = 4;
  constexpr uint64_t per_shard = 2000;
  // Written only by the committer thread; read after flush().
  std::vector<std::vector<uint64_t>> acked(shards);
  std::vector<std::thread> workers;
  for (uint16_t s = 0; s < shards; ++s)
    workers.emplace_back([&, s] {
      for (uint64_t seq = 1; seq <= per_shard; ++seq)
        gc.submit(st, s, put(seq, "k", std::to_string(seq)),
                  [&acked, s, seq](bool ok, const std::string&) {
                    if (ok)
                      acked[s].push_back(seq);
                  });
    });
  for (auto& w : workers)
    w.join();
  gc.flush();
  for (uint16_t s = 0; s < shards; ++s) {
    ASSERT_EQ(acked[s].size(), per_shard);
    for (uint64_t i = 0; i < per_shard; ++i)
      ASSERT_EQ(acked[s][i], i + 1);
    // The last write wins on replay.
    auto img = st.load_shard(s);
    ASSERT_EQ(img.records.size(), 1u);
    EXPECT_EQ(img.records[0].second, std::to_string(per_shard));
  }
}

TEST(persistence_group_committer, overloaded_when_queue_full) {
  running_committer f{settings(durability::sync, 4)};
  auto& st = f.st;
  auto& gc = f.gc;
  ack_counter acks;
  {
    blocker hold{gc};
    for (uint64_t i = 1; i <= 4; ++i)
      EXPECT_EQ(gc.submit(st, 0, put(i, "k", "v"), acks.fn()),
                submit_result::accepted);
    EXPECT_EQ(gc.queue_depth(), 4u);
    EXPECT_EQ(gc.submit(st, 0, put(5, "k", "v"), acks.fn()),
              submit_result::overloaded);
    // Tasks are not bounded.
    std::atomic<bool> ran{false};
    gc.submit_task([&] { ran = true; });
    hold.release();
    gc.flush();
    EXPECT_TRUE(ran);
  }
  EXPECT_EQ(acks.ok, 4u);
  EXPECT_EQ(gc.queue_depth(), 0u);
  EXPECT_EQ(st.journal_length(0), 4u);
  // Capacity is back.
  EXPECT_EQ(gc.submit(st, 0, put(5, "k", "v"), acks.fn()),
            submit_result::accepted);
  gc.flush();
  EXPECT_EQ(acks.ok, 5u);
}

TEST(persistence_group_committer, stop_drains_then_refuses) {
  running_committer f{settings(durability::sync)};
  auto& st = f.st;
  auto& gc = f.gc;
  ack_counter acks;
  std::atomic<bool> task_ran{false};
  size_t probes = 0;
  {
    blocker hold{gc};
    for (uint64_t i = 1; i <= 100; ++i)
      gc.submit(st, 1, put(i, "k" + std::to_string(i), "v"), acks.fn());
    gc.submit_task([&] { task_ran = true; });
    std::thread stopper{[&] { gc.stop(); }};
    // Probe until stop() refuses new writes, then let the thread go. Probes
    // accepted before that are ordinary writes and must be drained too.
    while (gc.submit(st, 1, put(1000 + probes, "probe", "y"), acks.fn()) ==
           submit_result::accepted) {
      ++probes;
      std::this_thread::sleep_for(1ms);
    }
    hold.release();
    stopper.join();
  }
  EXPECT_EQ(acks.ok, 100u + probes);
  EXPECT_TRUE(task_ran);
  EXPECT_EQ(st.load_shard(1).records.size(), 100u + (probes > 0 ? 1 : 0));
  EXPECT_EQ(gc.submit(st, 1, put(101, "k", "v"), acks.fn()),
            submit_result::stopped);
  EXPECT_EQ(acks.ok + acks.failed, 100u + probes);
  // A task submitted after stop runs at once, on this thread.
  auto self = std::this_thread::get_id();
  std::thread::id ran_on;
  gc.submit_task([&] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, self);
  gc.stop();  // Idempotent.
  gc.flush(); // Returns at once.
}

TEST(persistence_group_committer, stop_without_start_drains_inline) {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 256, durability::group};
  store st{env, "svc"};
  ack_counter acks;
  {
    group_committer gc{env, settings(durability::group)};
    gc.flush(); // Not running: returns at once.
    gc.submit(st, 0, put(1, "a", "1"), acks.fn());
    EXPECT_EQ(acks.ok, 0u);
  } // Destructor stops.
  EXPECT_EQ(acks.ok, 1u);
  EXPECT_EQ(st.journal_length(0), 1u);
}

TEST(persistence_group_committer,
     async_acks_before_commit_and_flush_makes_durable) {
  temp_dir tmp;
  {
    lmdb_env env{tmp.path(), 256, durability::async};
    store st{env, "svc"};
    group_committer gc{env, settings(durability::async)};
    gc.start();
    ack_counter acks;
    blocker hold{gc};
    for (uint64_t i = 1; i <= 10; ++i)
      EXPECT_EQ(
          gc.submit(st, 3, put(i, "k" + std::to_string(i), "v"), acks.fn()),
          submit_result::accepted);
    // Acknowledged inside submit, while nothing is committed yet.
    EXPECT_EQ(acks.ok, 10u);
    EXPECT_EQ(gc.commits(), 0u);
    EXPECT_EQ(st.journal_length(3), 0u);
    hold.release();
    gc.flush();
    EXPECT_EQ(st.journal_length(3), 10u);
    EXPECT_GE(gc.fsyncs(), 1u);
    EXPECT_EQ(acks.ok, 10u); // No second acknowledgement.
  }
  lmdb_env env{tmp.path(), 256, durability::async};
  store st{env, "svc"};
  EXPECT_EQ(st.load_shard(3).records.size(), 10u);
}

TEST(persistence_group_committer, group_mode_syncs_periodically) {
  running_committer f{settings(durability::group)};
  auto& st = f.st;
  auto& gc = f.gc;
  ack_counter acks;
  // A single write is synced after the interval even if nothing follows.
  gc.submit(st, 0, put(1, "k", "v"), acks.fn());
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (gc.fsyncs() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(acks.ok, 1u);
  EXPECT_GE(gc.fsyncs(), 1u);
  // A steady trickle of writes keeps syncing, at most once per interval.
  auto start = gc.fsyncs();
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 2; i < 200; ++i) {
    gc.submit(st, 0, put(i, "k", "v"), acks.fn());
    std::this_thread::sleep_for(1ms);
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - t0;
  auto syncs = gc.fsyncs() - start;
  EXPECT_GE(syncs, 2u);
  // sync_interval = 10 ms; allow one extra for the timer.
  EXPECT_LE(syncs, static_cast<uint64_t>(elapsed.count() / 0.010) + 2);
  EXPECT_LT(gc.fsyncs(), gc.commits());
}

TEST(persistence_group_committer, task_runs_after_preceding_writes_committed) {
  running_committer f{settings(durability::sync)};
  auto& st = f.st;
  auto& gc = f.gc;
  for (uint64_t i = 1; i <= 50; ++i)
    gc.submit(st, 2, put(i, "k" + std::to_string(i), "v"), nullptr);
  std::promise<size_t> seen;
  gc.submit_task([&] { seen.set_value(st.load_shard(2).records.size()); });
  EXPECT_EQ(seen.get_future().get(), 50u);
}

TEST(persistence_group_committer, compacts_long_journals) {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 256, durability::group};
  store st{env, "svc"};
  auto cfg = settings(durability::group);
  cfg.compact_after = 10;
  group_committer gc{env, cfg};
  gc.start();
  for (uint64_t i = 1; i <= 100; ++i) {
    gc.submit(st, 7, put(i, "k" + std::to_string(i % 30), std::to_string(i)),
              nullptr);
    if (i % 5 == 0)
      gc.flush(); // Several batches.
  }
  gc.flush();
  EXPECT_GE(gc.compactions(), 1u);
  EXPECT_LE(st.journal_length(7), 10u);
  auto img = st.load_shard(7);
  EXPECT_EQ(img.last_seq, 100u);
  ASSERT_EQ(img.records.size(), 30u);
  EXPECT_EQ(st.snapshot_seq(7) + st.journal_length(7), 100u);
}

TEST(persistence_group_committer,
     failed_commit_fails_every_write_of_the_batch) {
  running_committer f{settings(durability::sync), 1}; // 1 MiB map.
  auto& st = f.st;
  auto& gc = f.gc;
  ack_counter acks;
  {
    blocker hold{gc};
    for (uint64_t i = 1; i <= 5; ++i)
      gc.submit(st, 0,
                put(i, "k" + std::to_string(i), std::string(400000, 'x')),
                acks.fn());
  }
  gc.flush();
  EXPECT_EQ(acks.failed, 5u);
  EXPECT_EQ(acks.ok, 0u);
  EXPECT_GE(gc.failed_commits(), 1u);
  EXPECT_NE(acks.last_error.find("MDB_MAP_FULL"), std::string::npos)
      << acks.last_error;
  // The committer keeps working after a failure.
  gc.submit(st, 0, put(6, "small", "v"), acks.fn());
  gc.flush();
  EXPECT_EQ(acks.ok, 1u);
  EXPECT_EQ(st.load_shard(0).records.size(), 1u);
}

TEST(persistence_group_committer, invalid_entry_is_answered_at_once) {
  running_committer f{settings(durability::sync)};
  auto& st = f.st;
  auto& gc = f.gc;
  ack_counter acks;
  EXPECT_EQ(gc.submit(st, 0, put(1, std::string(1000, 'k'), "v"), acks.fn()),
            submit_result::accepted);
  EXPECT_EQ(acks.failed, 1u);
  gc.submit(st, 0, put(2, "ok", "v"), acks.fn());
  gc.flush();
  EXPECT_EQ(acks.ok, 1u);
  EXPECT_EQ(gc.failed_commits(), 0u);
}

TEST(persistence_group_committer, closed_loop_clients_share_fsyncs) {
  // Each client waits for its acknowledgement before the next write, as an
  // actor awaiting a durable ack would: throughput is bounded by fsync
  // latency, and group commit divides that cost by the batch size.
  running_committer f{settings(durability::sync)};
  auto& st = f.st;
  auto& gc = f.gc;
  constexpr size_t clients = 16;
  constexpr uint64_t per_client = 100;
  std::atomic<size_t> failures{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (size_t c = 0; c < clients; ++c)
    workers.emplace_back([&, c] {
      for (uint64_t seq = 1; seq <= per_client; ++seq) {
        std::promise<bool> acked;
        auto res = gc.submit(
            st, static_cast<uint16_t>(c), put(seq, "k", std::string(100, 'v')),
            [&acked](bool ok, const std::string&) { acked.set_value(ok); });
        if (res != submit_result::accepted || !acked.get_future().get())
          ++failures;
      }
    });
  for (auto& w : workers)
    w.join();
  std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(failures, 0u);
  EXPECT_EQ(gc.entries_committed(), clients * per_client);
  EXPECT_LT(gc.commits(), clients * per_client);
  std::printf("[ group commit ] closed loop, %zu clients: %.0f synced "
              "entries/s, %.1f entries/txn\n",
              clients, static_cast<double>(clients * per_client) / secs.count(),
              static_cast<double>(clients * per_client) /
                  static_cast<double>(gc.commits()));
}
