#pragma once

#include <cstdint>
#include <string>
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
  MSGPACK_DEFINE_MAP(snapshot_seq)
};

/// The state of one shard as recovery sees it.
struct shard_image {
  /// The highest seq seen (snapshot or journal), 0 for an empty shard.
  uint64_t last_seq = 0;
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

private:
  uint64_t read_snapshot_seq(const lmdb_txn& txn, uint16_t shard) const;

  lmdb_env* env_;
  std::string service_;
  MDB_dbi snap_;
  MDB_dbi journal_;
  MDB_dbi meta_;
  size_t max_entity_key_;
};

} // namespace troupe::persistence
