#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <msgpack.hpp>

#include "troupe/pastebin/messages.hpp"
#include "troupe/persistence/store.hpp"

namespace troupe::pastebin {

/// A paste as stored on disk (msgpack map; field names kept).
struct paste_record {
  std::string contents;
  int64_t created_at = 0;
  uint32_t expiration_minutes = 0;
  uint8_t kind = 0;
  MSGPACK_DEFINE_MAP(contents, created_at, expiration_minutes, kind)

  /// Unix second at which the paste expires, 0 for never.
  int64_t expires_at() const {
    return expiration_minutes == 0
               ? 0
               : created_at + static_cast<int64_t>(expiration_minutes) * 60;
  }

  /// Returns whether the paste is expired at `now`.
  bool expired(int64_t now) const {
    return expiration_minutes != 0 && now >= expires_at();
  }
};

/// Visit counter as stored on disk.
struct visit_record {
  uint64_t hits = 0;
  MSGPACK_DEFINE_MAP(hits)
};

/// Returns the UTC month `YYYY-MM` of Unix second `t`.
std::string month_of(int64_t t);

/// The pure logic of one Pastebin shard: pastes, their expiry order and
/// monthly visit counters. Every durable change is expressed as journal ops
/// and applied through `apply`, the same code that recovery replays, so
/// memory and disk cannot disagree on what an op means.
///
/// Keys: `p:<shortlink>` -> paste_record, `v:<YYYY-MM>:<shortlink>` ->
/// visit_record.
class paste_shard_state {
public:
  using op = persistence::journal_op;

  /// Rebuilds the state from a loaded shard image.
  void restore(const persistence::shard_image& image);

  /// Applies one durable op to memory.
  void apply(const op& x);

  /// Plans the creation of `link`; nullopt if the link is taken by a paste
  /// that has not expired at `now`.
  std::optional<std::vector<op>> plan_create(const std::string& link,
                                             const paste_input& in,
                                             int64_t now) const;

  /// Returns the paste of `kind` at `link` unless unknown or expired at
  /// `now`, and counts one visit in the month of `now`.
  std::optional<paste_view> visit(const std::string& link, uint8_t kind,
                                  int64_t now);

  /// Returns the dirty visit counters as put ops.
  std::vector<op> dirty_visit_ops() const;

  /// Marks every visit counter clean (after its ops were accepted).
  void clear_dirty() { dirty_.clear(); }

  /// Plans the deletion of up to `max` pastes expired at `now`.
  std::vector<op> plan_sweep(int64_t now, size_t max) const;

  /// Returns the visit counters of `month`, optionally of one shortlink,
  /// most visited first (ties by shortlink), at most `limit`.
  std::vector<stats_row> stats(const std::string& month,
                               const std::string& link, size_t limit) const;

  /// Number of pastes held.
  size_t size() const { return pastes_.size(); }

  /// Number of visit counters waiting to be persisted.
  size_t dirty_visits() const { return dirty_.size(); }

private:
  void put_paste(const std::string& link, paste_record rec);
  void erase_paste(const std::string& link);

  std::unordered_map<std::string, paste_record> pastes_;
  std::multimap<int64_t, std::string> expiry_;
  // month -> shortlink -> hits
  std::unordered_map<std::string, std::unordered_map<std::string, uint64_t>>
      hits_;
  std::set<std::pair<std::string, std::string>> dirty_;
  // Cache of month_of(): visits happen many times per second.
  int64_t month_second_ = -1;
  std::string month_;
};

/// Sorts stats rows most visited first (ties by shortlink) and keeps `limit`.
void rank_stats(std::vector<stats_row>& rows, size_t limit);

} // namespace troupe::pastebin
