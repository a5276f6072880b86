#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <lmdb.h>

#include "troupe/config/config.hpp"

namespace troupe::persistence {

/// An LMDB call failed. LMDB failures are environmental (disk full, map
/// full, permissions), hence an exception rather than an error value.
class lmdb_error : public std::runtime_error {
public:
  /// Builds `<what>: <mdb_strerror(code)>`.
  lmdb_error(const std::string& what, int code);

  /// The LMDB (or errno) code, e.g. `MDB_MAP_FULL`.
  int code() const noexcept { return code_; }

private:
  int code_;
};

/// One LMDB environment (one per node): a directory holding `data.mdb` and
/// `lock.mdb`.
///
/// Opened with `MDB_NOTLS`, so a read transaction is not bound to the thread
/// that began it, and with `MDB_NOSYNC` unless the durability level is
/// `sync`: a commit then reaches the OS page cache only and `sync()` makes
/// it durable.
class lmdb_env {
public:
  /// The most named databases one environment can hold.
  static constexpr unsigned max_dbs = 64;

  /// Opens (and creates, if needed) the environment in directory `dir`
  /// with a map of `map_size_mb` MiB. Throws `lmdb_error`.
  lmdb_env(const std::string& dir, uint64_t map_size_mb,
           config::durability level);

  /// Closes the environment. Every transaction must have ended before.
  ~lmdb_env();

  lmdb_env(const lmdb_env&) = delete;
  lmdb_env& operator=(const lmdb_env&) = delete;

  /// Forces buffered commits to disk (`mdb_env_sync(env, 1)`).
  void sync();

  /// Bytes of the map in use: `(last_pgno + 1) * page_size`.
  uint64_t used_bytes() const;

  /// Returns the handle of the named database `name`, creating it in its
  /// own write transaction on first use. Handles are cached, so calling it
  /// again is cheap. Must not be called by a thread that holds an open
  /// write transaction.
  MDB_dbi open_db(const std::string& name);

  /// The largest key LMDB accepts, in bytes (511 with default build flags).
  size_t max_key_size() const;

  /// The durability level the environment was opened for.
  config::durability level() const noexcept { return level_; }

  /// The directory of the environment.
  const std::string& dir() const noexcept { return dir_; }

  /// The raw LMDB handle.
  MDB_env* native_handle() const noexcept { return env_; }

private:
  MDB_env* env_ = nullptr;
  std::string dir_;
  config::durability level_;
  std::mutex dbs_mtx_;
  std::map<std::string, MDB_dbi> dbs_;
};

/// A read or write transaction; aborted by the destructor unless committed.
///
/// A write transaction holds LMDB's single writer lock until it ends, so
/// keep it short. A thread may hold at most one write transaction.
class lmdb_txn {
public:
  /// Whether the transaction may write.
  enum class mode { read, write };

  /// Called for each record by `for_each`; return false to stop.
  using visitor =
      std::function<bool(std::string_view key, std::string_view value)>;

  /// Begins a transaction. Throws `lmdb_error`.
  lmdb_txn(lmdb_env& env, mode m);

  /// Aborts the transaction if it is still active.
  ~lmdb_txn();

  lmdb_txn(const lmdb_txn&) = delete;
  lmdb_txn& operator=(const lmdb_txn&) = delete;

  /// Takes over `other`, which becomes inactive.
  lmdb_txn(lmdb_txn&& other) noexcept;

  /// Looks up `key`; the view points into the map and stays valid until
  /// the transaction ends (or, in a write transaction, until it writes).
  std::optional<std::string_view> get_view(MDB_dbi dbi,
                                           std::string_view key) const;

  /// Looks up `key` and copies the value.
  std::optional<std::string> get(MDB_dbi dbi, std::string_view key) const;

  /// Inserts or overwrites `key`. Throws `lmdb_error` (e.g. `MDB_MAP_FULL`,
  /// or `MDB_BAD_VALSIZE` for an empty or too long key).
  void put(MDB_dbi dbi, std::string_view key, std::string_view value);

  /// Deletes `key`; returns false if it was absent.
  bool del(MDB_dbi dbi, std::string_view key);

  /// Visits, in key order, every record whose key starts with `prefix` and
  /// is not less than `from` (an empty `from` starts at the prefix).
  /// Returns the number of records visited. Do not write to `dbi` from the
  /// visitor.
  size_t for_each(MDB_dbi dbi, std::string_view prefix, const visitor& fn,
                  std::string_view from = {}) const;

  /// Commits; the transaction becomes inactive even if this throws.
  void commit();

  /// Aborts; no-op if inactive.
  void abort() noexcept;

  /// Whether the transaction has neither committed nor aborted.
  bool active() const noexcept { return txn_ != nullptr; }

  /// Whether this is a write transaction.
  bool writable() const noexcept { return mode_ == mode::write; }

  /// The raw LMDB handle.
  MDB_txn* native_handle() const noexcept { return txn_; }

private:
  void check_active(const char* op) const;

  MDB_txn* txn_ = nullptr;
  mode mode_;
};

} // namespace troupe::persistence
