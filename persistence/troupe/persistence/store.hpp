#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "troupe/persistence/lmdb_env.hpp"

/// Journal + snapshot store of one sharded service.
///
/// A service owns three named databases in the node's environment:
/// - `<service>.snap`:    shard (be16) + entity key -> value bytes;
/// - `<service>.journal`: shard (be16) + seq (be64)  -> msgpack journal_entry;
/// - `<service>.meta`:    shard (be16)               -> msgpack shard_meta.
/// Big-endian prefixes make LMDB's byte order equal numeric order, so one
/// cursor walks a shard's journal in sequence order. Recovery loads the
/// snapshot and replays the journal after it; compaction folds the journal
/// into the snapshot so recovery stays short.
namespace troupe::persistence {

/// One change to one entity.
struct journal_op {
  /// `put`: set `key` to `value`.
  static constexpr uint8_t put = 1;
  /// `erase`: remove `key`; `value` is unused.
  static constexpr uint8_t erase = 2;

  uint8_t kind = put;
  std::string key;
  std::string value;
  MSGPACK_DEFINE_MAP(kind, key, value)
};

/// One logical write of a shard; committed atomically. `seq` is assigned by
/// the shard's owner and strictly increases per shard; `epoch` identifies
/// the primary that produced it (replication).
struct journal_entry {
  uint64_t seq = 0;
  uint64_t epoch = 0;
  std::vector<journal_op> ops;
  MSGPACK_DEFINE_MAP(seq, epoch, ops)
};

/// Durable per-shard bookkeeping.
struct shard_meta {
  /// The highest seq folded into the snapshot.
  uint64_t snapshot_seq = 0;
  /// The epoch of the entry at `snapshot_seq`.
  uint64_t epoch = 0;
  MSGPACK_DEFINE_MAP(snapshot_seq, epoch)
};

/// Where a shard's history ends: the (epoch, seq) of its last entry.
/// Positions compare by epoch first, so a history written by a newer
/// primary is newer even when it is shorter.
struct log_position {
  uint64_t epoch = 0;
  uint64_t seq = 0;

  friend bool operator<(const log_position& x, const log_position& y) {
    return x.epoch != y.epoch ? x.epoch < y.epoch : x.seq < y.seq;
  }
  friend bool operator==(const log_position& x, const log_position& y) {
    return x.epoch == y.epoch && x.seq == y.seq;
  }
  MSGPACK_DEFINE_MAP(epoch, seq)
};

/// What one node sends another to bring a shard up to its own position:
/// the journal entries after the receiver's position when the sender's
/// history contains that position, else the whole state.
struct shard_transfer {
  /// True: `records` replace the receiver's state of the shard.
  bool full = false;
  /// The sender's position; the receiver's after installing.
  log_position to;
  /// Entity key -> value bytes (`full` only).
  std::vector<std::pair<std::string, std::string>> records;
  /// Entries after the receiver's position, in order (not `full`).
  std::vector<journal_entry> entries;
  MSGPACK_DEFINE_MAP(full, to, records, entries)
};

/// The state of one shard as recovery sees it.
struct shard_image {
  /// The highest seq seen (snapshot or journal), 0 for an empty shard.
  uint64_t last_seq = 0;
  /// The epoch of the entry at `last_seq`.
  uint64_t last_epoch = 0;
  /// Entity key -> value bytes, sorted by key.
  std::vector<std::pair<std::string, std::string>> records;
};

/// The journal + snapshot store of one service. Thread-safe: every method
/// uses its own transaction except `append`, which writes into the
/// caller's. A store must outlive every write queued for it.
class store {
public:
  /// Opens (creating if needed) the databases of `service` in `env`.
  store(lmdb_env& env, std::string service);

  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// The service name.
  const std::string& service() const noexcept { return service_; }

  /// The environment holding the databases.
  lmdb_env& env() const noexcept { return *env_; }

  /// Returns an error text if `entry` cannot be stored (unknown op kind,
  /// entity key too long for an LMDB key), empty otherwise.
  std::string validate(const journal_entry& entry) const;

  /// Writes `entry` into the journal of `shard` within `txn`, a write
  /// transaction (the group committer's batch). Does not check `seq`.
  void append(lmdb_txn& txn, uint16_t shard, const journal_entry& entry);

  /// Returns the snapshot of `shard` with every later journal entry applied
  /// in order. A corrupt journal entry or meta record is logged and skipped.
  shard_image load_shard(uint16_t shard) const;

  /// Folds the whole journal of `shard` into its snapshot, records the
  /// snapshot seq and deletes the folded entries, in one write transaction.
  /// Returns the number of entries folded (corrupt ones are logged,
  /// deleted and counted). Must not run on a thread holding a write txn.
  size_t compact(uint16_t shard);

  /// The number of journal entries of `shard` (walks them: O(length)).
  size_t journal_length(uint16_t shard) const;

  /// The journal entries of `shard` with seq > `after_seq`, in order.
  /// Corrupt entries are logged and skipped.
  std::vector<journal_entry> read_journal(uint16_t shard,
                                          uint64_t after_seq) const;

  /// The snapshot seq recorded for `shard` (0 if never compacted).
  uint64_t snapshot_seq(uint16_t shard) const;

  /// The current value of entity `key` in `shard` (snapshot, then every
  /// journal entry after it; nullopt if never written or erased). Walks
  /// the shard's journal: O(entries since the last compaction).
  std::optional<std::string> read_entity(uint16_t shard,
                                         std::string_view key) const;

  /// The position of the last entry of `shard` (journal or snapshot).
  log_position position(uint16_t shard) const;

  /// What brings a copy of `shard` at position `from` up to this store's
  /// position: the journal tail after `from` if this store's history
  /// holds `from` (same seq, same epoch), the whole state otherwise.
  shard_transfer read_transfer(uint16_t shard, log_position from) const;

  /// Applies a transfer read from another node's store, in one write
  /// transaction: `full` replaces the shard's snapshot and journal,
  /// otherwise the entries are appended. Must not run on a thread holding
  /// a write txn.
  void install(uint16_t shard, const shard_transfer& transfer);

private:
  shard_meta read_meta(const lmdb_txn& txn, uint16_t shard) const;

  lmdb_env* env_;
  std::string service_;
  MDB_dbi snap_;
  MDB_dbi journal_;
  MDB_dbi meta_;
  size_t max_entity_key_;
};

} // namespace troupe::persistence
