// Group commit
// ============
//
// A durable write costs one fsync, and an fsync costs far more than the
// write itself: on our machines one synced LMDB transaction per put runs at
// ~5k puts/s, while 1000 puts per synced transaction reach ~2M puts/s (see
// CAF-NOTES and tests/bench/lmdb_sync_put.cpp). The fix is to make writes
// share transactions: the cost becomes one LMDB txn + one fsync per *batch*.
//
// Protocol. Shard actors call `submit()`, which only appends the write to a
// bounded in-memory queue (a mutex-guarded deque) and returns; an actor never
// waits on disk. One committer thread loops:
//   1. wait until the queue is non-empty (or a pending sync is due);
//   2. swap the whole deque out under the lock, so submitters are blocked
//      only for that swap;
//   3. outside the lock, write every queued entry into ONE write txn and
//      commit it, then call each write's `done` in queue order.
// While the thread is busy with step 3 (mostly waiting for fsync), new
// writes pile up in the queue and all of them go into the next batch. The
// batch size therefore adapts to the load by itself: one write per txn when
// idle (no added latency: nobody waits for a timer), thousands under load.
//
// Durability levels:
//   sync   env synced on every commit; `done(true)` after the fsync.
//   group  env opened MDB_NOSYNC; `done(true)` after commit (page cache:
//          survives a process crash, not a power loss); the thread calls
//          `env.sync()` at most every `sync_interval`, and again if commits
//          stay unsynced for that long.
//   async  `done(true)` inside `submit()`; commit and sync as with group.
//
// Ordering. One thread, FIFO queue, one batch at a time: writes of a shard
// commit in submit order, and a task or flush barrier in the queue splits
// the batch, so it runs only after everything queued before it committed.
//
// Failure. If a batch's txn fails (map full, disk full), every write in it
// gets `done(false, error)`; the actor must not treat those writes as
// durable. The error is logged; later batches are tried again.
//
// Bounds. `max_queue` caps the writes waiting (not counting the batch in
// flight): a full queue answers `overloaded` so the edge can shed load (429)
// instead of growing memory. A batch is also split into several txns past
// `max_txn_bytes`, because LMDB caps the dirty pages of one txn.
//
// Compaction runs here too, after a commit, for each shard whose journal grew
// by `compact_after` entries since its last compaction: the committer is the
// only writer, so compaction never competes with batches for LMDB's lock.
#include "troupe/persistence/group_committer.hpp"

#include <algorithm>
#include <exception>
#include <set>

#include "troupe/log.hpp"

namespace troupe::persistence {

namespace {

/// Payload bytes after which a batch is split into another txn.
constexpr size_t max_txn_bytes = 64 * 1024 * 1024;

size_t estimate_bytes(const journal_entry& entry) {
  size_t result = 32;
  for (auto& op : entry.ops)
    result += op.key.size() + op.value.size() + 8;
  return result;
}

} // namespace

const char* to_string(submit_result x) {
  switch (x) {
  case submit_result::accepted:
    return "accepted";
  case submit_result::overloaded:
    return "overloaded";
  default:
    return "stopped";
  }
}

group_committer::group_committer(lmdb_env& env,
                                 const config::persistence_settings& cfg)
    : env_(env), level_(cfg.level),
      max_queue_(std::max<size_t>(cfg.max_queue, 1)),
      sync_interval_(cfg.sync_interval), compact_after_(cfg.compact_after),
      last_sync_(clock::now()) {
  // nop
}

group_committer::~group_committer() {
  stop();
}

void group_committer::start() {
  std::lock_guard<std::mutex> lifecycle{lifecycle_mtx_};
  std::lock_guard<std::mutex> guard{mtx_};
  if (state_ != state::idle)
    return;
  state_ = state::running;
  thread_ = std::thread{[this] { run(); }};
  log::info("persistence",
            "group committer started: durability=", config::to_string(level_),
            " max_queue=", max_queue_);
}

void group_committer::stop() {
  std::lock_guard<std::mutex> lifecycle{lifecycle_mtx_};
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (state_ == state::stopped)
      return;
    state_ = state::stopping;
  }
  cv_.notify_one();
  if (thread_.joinable())
    thread_.join();
  else
    run(); // Never started: drain on this thread.
  log::info("persistence", "group committer stopped: commits=", commits_.load(),
            " entries=", entries_.load(), " fsyncs=", fsyncs_.load());
}

namespace {

/// How long an async committer waits to fill a transaction.
constexpr auto async_gather_window = std::chrono::milliseconds{2};

/// Writes that end the wait early.
constexpr size_t async_gather_writes = 512;

} // namespace

submit_result group_committer::submit(store& st, uint16_t shard,
                                      journal_entry entry, done_fn done) {
  if (auto err = st.validate(entry); !err.empty()) {
    if (done)
      done(false, err);
    return submit_result::accepted;
  }
  bool ack_now = level_ == config::durability::async;
  bool wake = true;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (state_ == state::stopping || state_ == state::stopped)
      return submit_result::stopped;
    if (queued_writes_ >= max_queue_)
      return submit_result::overloaded;
    item x;
    x.st = &st;
    x.shard = shard;
    x.entry = std::move(entry);
    if (!ack_now)
      x.done = std::move(done);
    queue_.push_back(std::move(x));
    queue_depth_.store(++queued_writes_);
    // The committer needs a wake-up for the first write of a batch; with
    // async it also gathers until `async_gather_writes`. Waking it for
    // every write would cost a context switch per write.
    wake = queued_writes_ == 1 ||
           (ack_now && queued_writes_ >= async_gather_writes);
  }
  if (wake)
    cv_.notify_one();
  // With async the write counts as done once queued; the callback runs
  // outside the lock so that it may submit again.
  if (ack_now && done)
    done(true, std::string{});
  return submit_result::accepted;
}

void group_committer::submit_task(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (state_ != state::stopped) {
      item x;
      x.task = std::move(fn);
      queue_.push_back(std::move(x));
      fn = nullptr;
    }
  }
  if (fn) {
    // The committer is gone: nothing else writes, run it right here.
    run_guarded("task", fn);
    return;
  }
  cv_.notify_one();
}

void group_committer::flush() {
  bool flushed = false;
  std::unique_lock<std::mutex> guard{mtx_};
  if (state_ != state::running && state_ != state::stopping)
    return;
  item x;
  x.barrier_done = &flushed;
  queue_.push_back(std::move(x));
  cv_.notify_one();
  flushed_cv_.wait(guard, [&] { return flushed; });
}

void group_committer::run() {
  std::unique_lock<std::mutex> guard{mtx_};
  auto has_work = [this] {
    return !queue_.empty() || state_ == state::stopping;
  };
  for (;;) {
    if (!has_work()) {
      if (dirty_)
        cv_.wait_until(guard, last_sync_ + sync_interval_, has_work);
      else
        cv_.wait(guard, has_work);
    }
    if (level_ == config::durability::async && state_ == state::running) {
      // Nobody waits for an async commit, so gather writes for a moment:
      // one transaction then carries many of them (fewer commits, less CPU
      // taken from the threads serving requests).
      cv_.wait_for(guard, async_gather_window, [this] {
        return queued_writes_ >= async_gather_writes ||
               state_ != state::running;
      });
    }
    std::deque<item> batch;
    batch.swap(queue_);
    queued_writes_ = 0;
    queue_depth_.store(0);
    bool exiting = batch.empty() && state_ == state::stopping;
    guard.unlock();
    process(batch);
    if (dirty_ && (exiting || clock::now() - last_sync_ >= sync_interval_))
      sync_now();
    guard.lock();
    if (exiting && queue_.empty()) {
      state_ = state::stopped;
      return;
    }
  }
}

void group_committer::process(std::deque<item>& batch) {
  size_t i = 0;
  while (i < batch.size()) {
    auto& x = batch[i];
    if (x.is_write()) {
      // Gather the run of writes up to the next task or barrier.
      size_t last = i;
      size_t bytes = 0;
      while (last < batch.size() && batch[last].is_write() &&
             (last == i || bytes < max_txn_bytes)) {
        bytes += estimate_bytes(batch[last].entry);
        ++last;
      }
      commit_writes(batch, i, last);
      compact_due();
      i = last;
    } else if (x.task) {
      run_guarded("task", x.task);
      ++i;
    } else {
      if (dirty_)
        sync_now();
      {
        std::lock_guard<std::mutex> guard{mtx_};
        *x.barrier_done = true;
      }
      flushed_cv_.notify_all();
      ++i;
    }
  }
}

void group_committer::commit_writes(std::deque<item>& batch, size_t first,
                                    size_t last) {
  auto n = last - first;
  std::string error;
  try {
    lmdb_txn txn{env_, lmdb_txn::mode::write};
    for (auto i = first; i < last; ++i)
      batch[i].st->append(txn, batch[i].shard, batch[i].entry);
    auto start = clock::now();
    txn.commit();
    if (level_ == config::durability::sync)
      add_sync_time(clock::now() - start);
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty())
      error = "commit failed";
  } catch (...) {
    error = "commit failed";
  }
  if (!error.empty()) {
    ++failed_commits_;
    log::error("persistence", "group commit of ", n,
               " journal entries failed: ", error);
    for (auto i = first; i < last; ++i)
      if (batch[i].done)
        run_guarded("done", [&] { batch[i].done(false, error); });
    return;
  }
  ++commits_;
  entries_ += n;
  last_batch_.store(n);
  if (level_ == config::durability::sync)
    ++fsyncs_;
  else
    dirty_ = true;
  static const std::string no_error;
  for (auto i = first; i < last; ++i) {
    auto& x = batch[i];
    if (x.done)
      run_guarded("done", [&] { x.done(true, no_error); });
    ++since_compact_[{x.st, x.shard}];
  }
}

void group_committer::compact_due() {
  if (compact_after_ == 0)
    return;
  for (auto& [key, count] : since_compact_) {
    if (count <= compact_after_)
      continue;
    count = 0;
    auto [st, shard] = key;
    run_guarded("compaction", [&, st = st, shard = shard] {
      auto folded = st->compact(shard);
      ++compactions_;
      if (level_ == config::durability::sync)
        ++fsyncs_;
      else
        dirty_ = true;
      log::debug("persistence", st->service(), " shard ", shard,
                 ": compaction folded ", folded, " entries");
    });
  }
}

void group_committer::sync_now() {
  run_guarded("sync", [this] {
    auto start = clock::now();
    env_.sync();
    add_sync_time(clock::now() - start);
    ++fsyncs_;
    dirty_ = false;
  });
  // A failed sync stays dirty and is retried after the interval, not in a
  // tight loop.
  last_sync_ = clock::now();
}

void group_committer::add_sync_time(clock::duration d) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  sync_nanos_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
}

void group_committer::run_guarded(const char* what,
                                  const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    log::error("persistence", "group committer ", what, " failed: ", e.what());
  } catch (...) {
    log::error("persistence", "group committer ", what, " failed");
  }
}

} // namespace troupe::persistence
