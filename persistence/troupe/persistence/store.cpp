#include "troupe/persistence/store.hpp"

#include <limits>
#include <map>

#include "troupe/log.hpp"
#include "troupe/persistence/codec.hpp"

namespace troupe::persistence {

namespace {

void append_be(std::string& out, uint64_t x, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

uint64_t read_be(std::string_view in) {
  uint64_t result = 0;
  for (char c : in)
    result = (result << 8) | static_cast<unsigned char>(c);
  return result;
}

std::string shard_key(uint16_t shard) {
  std::string result;
  append_be(result, shard, 2);
  return result;
}

std::string journal_key(uint16_t shard, uint64_t seq) {
  std::string result = shard_key(shard);
  append_be(result, seq, 8);
  return result;
}

std::string snap_key(uint16_t shard, std::string_view key) {
  std::string result = shard_key(shard);
  result.append(key);
  return result;
}

constexpr size_t journal_key_size = 10;

/// Applies one decoded entry to an in-memory image.
void apply_entry(std::map<std::string, std::string>& records,
                 const journal_entry& entry) {
  for (auto& op : entry.ops) {
    if (op.kind == journal_op::put)
      records[op.key] = op.value;
    else if (op.kind == journal_op::erase)
      records.erase(op.key);
  }
}

} // namespace

store::store(lmdb_env& env, std::string service)
    : env_(&env), service_(std::move(service)),
      snap_(env.open_db(service_ + ".snap")),
      journal_(env.open_db(service_ + ".journal")),
      meta_(env.open_db(service_ + ".meta")),
      max_entity_key_(env.max_key_size() - 2) {
  // nop
}

std::string store::validate(const journal_entry& entry) const {
  for (auto& op : entry.ops) {
    if (op.kind != journal_op::put && op.kind != journal_op::erase)
      return "unknown journal op kind " + std::to_string(op.kind);
    if (op.key.size() > max_entity_key_)
      return "entity key of " + std::to_string(op.key.size()) +
             " bytes exceeds the limit of " + std::to_string(max_entity_key_);
  }
  return {};
}

void store::append(lmdb_txn& txn, uint16_t shard, const journal_entry& entry) {
  txn.put(journal_, journal_key(shard, entry.seq), encode(entry));
}

shard_meta store::read_meta(const lmdb_txn& txn, uint16_t shard) const {
  auto bytes = txn.get_view(meta_, shard_key(shard));
  if (!bytes)
    return {};
  shard_meta meta;
  std::string err;
  if (!decode(*bytes, meta, &err)) {
    log::error("persistence", service_, " shard ", shard,
               ": corrupt meta record skipped (", err, ")");
    return {};
  }
  return meta;
}

uint64_t store::snapshot_seq(uint16_t shard) const {
  lmdb_txn txn{*env_, lmdb_txn::mode::read};
  return read_meta(txn, shard).snapshot_seq;
}

shard_image store::load_shard(uint16_t shard) const {
  lmdb_txn txn{*env_, lmdb_txn::mode::read};
  auto prefix = shard_key(shard);
  std::map<std::string, std::string> records;
  txn.for_each(snap_, prefix, [&](std::string_view key, std::string_view val) {
    records.emplace(key.substr(prefix.size()), val);
    return true;
  });
  shard_image result;
  auto meta = read_meta(txn, shard);
  auto snapshot_seq = meta.snapshot_seq;
  result.last_seq = snapshot_seq;
  result.last_epoch = meta.epoch;
  // Compaction deletes what it folds, so every entry left is newer than the
  // snapshot; the seq check guards against a stale re-append.
  auto from = snapshot_seq == std::numeric_limits<uint64_t>::max()
                  ? journal_key(shard, snapshot_seq)
                  : journal_key(shard, snapshot_seq + 1);
  txn.for_each(
      journal_, prefix,
      [&](std::string_view key, std::string_view val) {
        if (key.size() != journal_key_size)
          return true;
        auto seq = read_be(key.substr(2));
        if (seq <= snapshot_seq)
          return true;
        // The seq was used even if its entry is unreadable: count it so the
        // owner never reuses it.
        result.last_seq = std::max(result.last_seq, seq);
        journal_entry entry;
        std::string err;
        if (!decode(val, entry, &err)) {
          log::error("persistence", service_, " shard ", shard, " seq ", seq,
                     ": corrupt journal entry skipped (", err, ")");
          return true;
        }
        if (seq == result.last_seq)
          result.last_epoch = entry.epoch;
        apply_entry(records, entry);
        return true;
      },
      from);
  result.records.reserve(records.size());
  for (auto& kvp : records)
    result.records.emplace_back(kvp.first, std::move(kvp.second));
  return result;
}

size_t store::compact(uint16_t shard) {
  lmdb_txn txn{*env_, lmdb_txn::mode::write};
  auto prefix = shard_key(shard);
  auto meta = read_meta(txn, shard);
  auto snapshot_seq = meta.snapshot_seq;
  // Collect first: writing to the journal while its cursor walks it is not
  // allowed by lmdb_txn::for_each.
  std::vector<std::string> folded;
  std::vector<journal_entry> entries;
  txn.for_each(
      journal_, prefix, [&](std::string_view key, std::string_view val) {
        folded.emplace_back(key);
        if (key.size() != journal_key_size)
          return true;
        auto seq = read_be(key.substr(2));
        snapshot_seq = std::max(snapshot_seq, seq);
        journal_entry entry;
        std::string err;
        if (!decode(val, entry, &err)) {
          log::error("persistence", service_, " shard ", shard, " seq ", seq,
                     ": corrupt journal entry dropped by compaction (", err,
                     ")");
          return true;
        }
        if (seq == snapshot_seq)
          meta.epoch = entry.epoch;
        entries.push_back(std::move(entry));
        return true;
      });
  if (folded.empty())
    return 0;
  for (auto& entry : entries) {
    for (auto& op : entry.ops) {
      if (op.kind == journal_op::put)
        txn.put(snap_, snap_key(shard, op.key), op.value);
      else if (op.kind == journal_op::erase)
        txn.del(snap_, snap_key(shard, op.key));
    }
  }
  for (auto& key : folded)
    txn.del(journal_, key);
  meta.snapshot_seq = snapshot_seq;
  txn.put(meta_, prefix, encode(meta));
  txn.commit();
  log::debug("persistence", service_, " shard ", shard, ": compacted ",
             folded.size(), " journal entries up to seq ", snapshot_seq);
  return folded.size();
}

size_t store::journal_length(uint16_t shard) const {
  lmdb_txn txn{*env_, lmdb_txn::mode::read};
  return txn.for_each(journal_, shard_key(shard),
                      [](std::string_view, std::string_view) { return true; });
}

std::vector<journal_entry> store::read_journal(uint16_t shard,
                                               uint64_t after_seq) const {
  std::vector<journal_entry> result;
  if (after_seq == std::numeric_limits<uint64_t>::max())
    return result;
  lmdb_txn txn{*env_, lmdb_txn::mode::read};
  txn.for_each(
      journal_, shard_key(shard),
      [&](std::string_view key, std::string_view val) {
        if (key.size() != journal_key_size)
          return true;
        auto seq = read_be(key.substr(2));
        journal_entry entry;
        std::string err;
        if (!decode(val, entry, &err)) {
          log::error("persistence", service_, " shard ", shard, " seq ", seq,
                     ": corrupt journal entry skipped (", err, ")");
          return true;
        }
        entry.seq = seq;
        result.push_back(std::move(entry));
        return true;
      },
      journal_key(shard, after_seq + 1));
  return result;
}

std::optional<std::string> store::read_entity(uint16_t shard,
                                              std::string_view key) const {
  lmdb_txn txn{*env_, lmdb_txn::mode::read};
  std::optional<std::string> result;
  if (auto bytes = txn.get_view(snap_, snap_key(shard, key)))
    result.emplace(*bytes);
  auto snapshot_seq = read_meta(txn, shard).snapshot_seq;
  txn.for_each(
      journal_, shard_key(shard),
      [&](std::string_view jkey, std::string_view val) {
        journal_entry entry;
        if (jkey.size() != journal_key_size ||
            read_be(jkey.substr(2)) <= snapshot_seq || !decode(val, entry))
          return true;
        for (auto& op : entry.ops) {
          if (op.key != key)
            continue;
          if (op.kind == journal_op::put)
            result = std::move(op.value);
          else
            result.reset();
        }
        return true;
      },
      journal_key(shard, snapshot_seq + 1));
  return result;
}

log_position store::position(uint16_t shard) const {
  lmdb_txn txn{*env_, lmdb_txn::mode::read};
  auto meta = read_meta(txn, shard);
  log_position result{meta.epoch, meta.snapshot_seq};
  txn.for_each(journal_, shard_key(shard),
               [&](std::string_view key, std::string_view val) {
                 if (key.size() != journal_key_size)
                   return true;
                 auto seq = read_be(key.substr(2));
                 journal_entry entry;
                 if (seq > result.seq && decode(val, entry))
                   result = log_position{entry.epoch, seq};
                 return true;
               });
  return result;
}

shard_transfer store::read_transfer(uint16_t shard, log_position from) const {
  shard_transfer result;
  result.to = position(shard);
  auto meta = [&] {
    lmdb_txn txn{*env_, lmdb_txn::mode::read};
    return read_meta(txn, shard);
  }();
  bool holds_from = false;
  if (from.seq == meta.snapshot_seq) {
    holds_from = from.epoch == meta.epoch;
  } else if (from.seq > meta.snapshot_seq && !(result.to < from)) {
    lmdb_txn txn{*env_, lmdb_txn::mode::read};
    journal_entry entry;
    auto bytes = txn.get_view(journal_, journal_key(shard, from.seq));
    holds_from = bytes && decode(*bytes, entry) && entry.epoch == from.epoch;
  }
  if (holds_from) {
    result.entries = read_journal(shard, from.seq);
    return result;
  }
  auto image = load_shard(shard);
  result.full = true;
  result.to = log_position{image.last_epoch, image.last_seq};
  result.records = std::move(image.records);
  return result;
}

void store::install(uint16_t shard, const shard_transfer& transfer) {
  lmdb_txn txn{*env_, lmdb_txn::mode::write};
  auto prefix = shard_key(shard);
  if (transfer.full) {
    std::vector<std::string> stale;
    auto collect = [&](std::string_view key, std::string_view) {
      stale.emplace_back(key);
      return true;
    };
    txn.for_each(snap_, prefix, collect);
    for (auto& key : stale)
      txn.del(snap_, key);
    stale.clear();
    txn.for_each(journal_, prefix, collect);
    for (auto& key : stale)
      txn.del(journal_, key);
    for (const auto& [key, value] : transfer.records)
      txn.put(snap_, snap_key(shard, key), value);
    txn.put(meta_, prefix,
            encode(shard_meta{transfer.to.seq, transfer.to.epoch}));
  } else {
    auto snapshot_seq = read_meta(txn, shard).snapshot_seq;
    for (const auto& entry : transfer.entries)
      if (entry.seq > snapshot_seq)
        append(txn, shard, entry);
  }
  txn.commit();
}

} // namespace troupe::persistence
