#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

/// Messages of the Pastebin and short-link service.
///
/// Protocol (all replies come from the shard owning the shortlink unless
/// noted; errors are `troupe::runtime::errc` values):
/// - shard: `(create, shortlink, paste_input, attempt)` -> shortlink. A
///   shard that finds the shortlink taken passes the create on to the owner
///   of a fresh shortlink (attempt + 1); `conflict` after `create_retries`
///   attempts. `service::create` builds the first attempt; the front's
///   `(create, paste_input)` does the same for callers without a service.
/// - shard: `(get, shortlink, kind)` -> `paste_view` | `not_found`; counts a
///   visit when a paste of that kind exists.
/// - front: `(stats, month, shortlink, limit)` -> `std::vector<stats_row>`,
///   most visited first; an empty shortlink means every shortlink.
namespace troupe::pastebin {

using create_atom = caf::atom_constant<caf::atom("create")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using stats_tick_atom = caf::atom_constant<caf::atom("stats_tick")>;

/// What a shortlink points at.
enum class paste_kind : uint8_t { paste = 0, url = 1 };

/// A new paste or short URL as the edge validated it.
struct paste_input {
  /// Paste text, or the target URL of a short link.
  std::string contents;
  /// 0: never expires.
  uint32_t expiration_minutes = 0;
  uint8_t kind = static_cast<uint8_t>(paste_kind::paste);
  /// Client address, an input of the shortlink hash.
  std::string client;
  /// Creation time, Unix seconds (UTC).
  int64_t created_at = 0;
};

/// A stored paste or short URL.
struct paste_view {
  std::string shortlink;
  std::string contents;
  int64_t created_at = 0;
  uint32_t expiration_minutes = 0;
  uint8_t kind = 0;
};

/// Visits of one shortlink in one month.
struct stats_row {
  std::string shortlink;
  std::string month;
  uint64_t hits = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, paste_input& x) {
  return f(caf::meta::type_name("paste_input"), x.contents,
           x.expiration_minutes, x.kind, x.client, x.created_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, paste_view& x) {
  return f(caf::meta::type_name("paste_view"), x.shortlink, x.contents,
           x.created_at, x.expiration_minutes, x.kind);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stats_row& x) {
  return f(caf::meta::type_name("stats_row"), x.shortlink, x.month, x.hits);
}

} // namespace troupe::pastebin
