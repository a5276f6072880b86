#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "troupe/cache/lru_table.hpp"

/// The warm-restart snapshot of one cache shard: a msgpack map
/// `{"version": 1, "entries": [[key, value, expires_at_ms], ...]}` with
/// keys and values as msgpack `bin` and entries least recently used first.
namespace troupe::cache {

/// Encodes the entries of `table` that are live at `now`.
std::string encode_snapshot(const lru_table& table, int64_t now);

/// What `restore_snapshot` did.
struct restore_result {
  size_t restored = 0;
  /// Entries skipped because they expired while the node was down.
  size_t expired = 0;
  /// Empty, or why the snapshot was rejected (then nothing was restored).
  std::string error;
};

/// Tells whether a key belongs in the table being restored.
using key_filter = std::function<bool(std::string_view key)>;

/// Inserts the entries of `blob` into `table` in their LRU order, skipping
/// those expired at `now` and those `keep` rejects (e.g. keys another
/// shard owns after a change of the shard count). Never throws: a
/// truncated or foreign blob is rejected as a whole.
restore_result restore_snapshot(std::string_view blob, int64_t now,
                                lru_table& table, const key_filter& keep);

} // namespace troupe::cache
