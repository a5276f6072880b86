#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "troupe/config/config.hpp"
#include "troupe/persistence/lmdb_env.hpp"
#include "troupe/persistence/store.hpp"

namespace troupe::persistence {

/// What `group_committer::submit` did with a write.
enum class submit_result {
  /// Queued; `done` will be (or, with `async`, already was) called.
  accepted,
  /// The queue holds `max_queue` writes; `done` is not called. Shed load.
  overloaded,
  /// The committer is stopping or stopped; `done` is not called.
  stopped,
};

/// Returns "accepted", "overloaded" or "stopped".
const char* to_string(submit_result x);

/// Turns many small journal writes into few LMDB transactions and fsyncs.
/// See the essay at the top of group_committer.cpp.
class group_committer {
public:
  /// Called once per accepted write: `ok` and an empty `error` after the
  /// write is durable (as the durability level defines it), or false and
  /// the error text if its transaction failed. Runs on the committer
  /// thread (with `async`: on the submitter's thread, inside `submit`);
  /// keep it short and never block in it.
  using done_fn = std::function<void(bool ok, const std::string& error)>;

  /// Creates a committer for `env`; `cfg` gives the durability level, the
  /// queue bound, the sync interval and the compaction threshold
  /// (`compact_after == 0` disables compaction). Call `start()` next.
  group_committer(lmdb_env& env, const config::persistence_settings& cfg);

  /// Calls `stop()`.
  ~group_committer();

  group_committer(const group_committer&) = delete;
  group_committer& operator=(const group_committer&) = delete;

  /// Starts the committer thread. No-op if already started or stopped.
  void start();

  /// Refuses new writes, commits and syncs everything queued, runs every
  /// queued task, then joins the thread. If `start()` was never called,
  /// the queue is drained on the calling thread. Idempotent.
  void stop();

  /// Queues `entry` for the journal of `shard` in `st`. Never blocks on
  /// I/O. Writes of one shard commit in submit order. An entry that
  /// `st.validate` rejects is answered at once with `done(false, reason)`
  /// (result `accepted`). `st` must outlive the write. Writes submitted
  /// before `start()` wait for it (or for `stop()`, which drains them).
  submit_result submit(store& st, uint16_t shard, journal_entry entry,
                       done_fn done);

  /// Runs `fn` on the committer thread once everything queued before it is
  /// committed. Not bounded by `max_queue` and never dropped: after
  /// `stop()` has finished, `fn` runs at once on the calling thread.
  /// Exceptions thrown by `fn` are logged.
  void submit_task(std::function<void()> fn);

  /// Blocks until everything queued before the call is committed and
  /// synced. For shutdown and tests; never call it from an actor or from
  /// the committer thread. Returns at once if the committer is not running.
  void flush();

  /// Write transactions committed.
  uint64_t commits() const noexcept { return commits_.load(); }

  /// Journal entries committed.
  uint64_t entries_committed() const noexcept { return entries_.load(); }

  /// Write transactions that failed (each failed every write in it).
  uint64_t failed_commits() const noexcept { return failed_commits_.load(); }

  /// Syncs to disk: synced commits with `sync`, `env.sync()` calls else.
  uint64_t fsyncs() const noexcept { return fsyncs_.load(); }

  /// Seconds spent in syncs to disk (synced commits, `env.sync()` calls).
  double sync_seconds() const noexcept {
    return static_cast<double>(sync_nanos_.load(std::memory_order_relaxed)) *
           1e-9;
  }

  /// Compactions run.
  uint64_t compactions() const noexcept { return compactions_.load(); }

  /// Writes waiting in the queue (not counting the batch in flight).
  size_t queue_depth() const noexcept { return queue_depth_.load(); }

  /// Entries in the most recent committed transaction.
  size_t last_batch_size() const noexcept { return last_batch_.load(); }

  /// Bytes of the LMDB map in use.
  uint64_t used_bytes() const { return env_.used_bytes(); }

private:
  enum class state { idle, running, stopping, stopped };

  struct item {
    store* st = nullptr;
    uint16_t shard = 0;
    journal_entry entry;
    done_fn done;
    std::function<void()> task;
    // Set for a flush barrier; points to the flush caller's flag.
    bool* barrier_done = nullptr;
    bool is_write() const { return st != nullptr; }
  };

  using clock = std::chrono::steady_clock;

  void run();
  void process(std::deque<item>& batch);
  void commit_writes(std::deque<item>& batch, size_t first, size_t last);
  void compact_due();
  void sync_now();
  void add_sync_time(clock::duration d);
  void run_guarded(const char* what, const std::function<void()>& fn);

  // Immutable after construction.
  lmdb_env& env_;
  config::durability level_;
  size_t max_queue_;
  clock::duration sync_interval_;
  size_t compact_after_;

  // Guarded by mtx_.
  std::mutex mtx_;
  std::condition_variable cv_;
  std::condition_variable flushed_cv_;
  std::deque<item> queue_;
  size_t queued_writes_ = 0;
  state state_ = state::idle;

  // Serializes start() and stop().
  std::mutex lifecycle_mtx_;
  std::thread thread_;

  // Owned by whichever thread runs the loop (one at a time).
  bool dirty_ = false;
  clock::time_point last_sync_;
  std::map<std::pair<store*, uint16_t>, size_t> since_compact_;

  // Readable from any thread.
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> entries_{0};
  std::atomic<uint64_t> failed_commits_{0};
  std::atomic<uint64_t> fsyncs_{0};
  std::atomic<uint64_t> sync_nanos_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<size_t> queue_depth_{0};
  std::atomic<size_t> last_batch_{0};
};

} // namespace troupe::persistence
