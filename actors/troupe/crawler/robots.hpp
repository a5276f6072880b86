#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::crawler {

/// The rules of one robots.txt for one user agent (RFC 9309). Pure: no I/O.
///
/// Usage:
/// ```cpp
/// auto rules = robots_rules::parse(body, "troupe"); // on 2xx
/// auto none = robots_rules::allow_all();            // on 4xx
/// auto all = robots_rules::disallow_all();          // on 5xx / unreachable
/// if (rules.allowed("/page?x=1")) { ... }
/// ```
///
/// Cost: parsing is linear in the (at most 500 KiB) input. `allowed` tries
/// every kept rule; each pattern is matched greedily segment by segment
/// (the segments between `*`s, each at its leftmost occurrence), which is
/// correct for `*`-only wildcards and never backtracks, so a pattern such as
/// `/*a*a*a*b` costs at most O(path length x pattern length), not
/// exponential time.
class robots_rules {
public:
  /// At most this many leading bytes of a robots.txt are read (RFC 9309
  /// 2.5 allows a limit of at least 500 KiB).
  static constexpr size_t max_bytes = 500 * 1024;

  /// One allow or disallow line, its pattern normalized (see `allowed`).
  struct rule {
    /// The normalized pattern; may contain `*` and a final `$`.
    std::string pattern;
    /// True for `allow`, false for `disallow`.
    bool allow = false;
  };

  /// Parses `text` (any bytes; only the first `max_bytes` are read) and
  /// keeps the group that applies to `product_token` (e.g. "troupe"): the
  /// groups whose user-agent lines name the token, compared
  /// case-insensitively and combined; else the `*` groups combined; else no
  /// rules (allow all). A user-agent value counts up to its first character
  /// outside letters, `_` and `-` ("troupe/1.0" names "troupe").
  static robots_rules parse(std::string_view text,
                            std::string_view product_token);

  /// Allows everything (robots.txt answered 4xx: "unavailable", RFC 9309
  /// 2.3.1.3).
  static robots_rules allow_all();

  /// Disallows everything but /robots.txt (5xx or unreachable:
  /// "unreachable", RFC 9309 2.3.1.4).
  static robots_rules disallow_all();

  /// Whether `path_and_query` (the URL's path plus "?query", percent-encoded
  /// as sent) may be crawled. The longest matching rule wins (length of its
  /// normalized pattern in octets); allow wins a tie; no matching rule
  /// means allowed; "/robots.txt" is always allowed. Patterns: `*` matches
  /// any sequence, a final `$` anchors the end, all else is literal and
  /// case-sensitive. Both sides are normalized first: `%xx` of unreserved
  /// characters decoded, other `%xx` upper-cased, bytes outside printable
  /// ASCII percent-encoded, and a literal `*` or `$` in the path (or `$`
  /// inside a pattern) encoded as `%2A` / `%24`, so that a pattern's `%2A`
  /// matches a path's `*`.
  bool allowed(std::string_view path_and_query) const;

  /// The Crawl-delay of the chosen group in seconds (non-standard; may be
  /// fractional; the first valid one wins), else nullopt.
  std::optional<double> crawl_delay() const { return crawl_delay_; }

  /// The kept rules in file order (for inspection and tests).
  const std::vector<rule>& rules() const { return rules_; }

private:
  robots_rules(std::vector<rule> rules, std::optional<double> crawl_delay)
      : rules_(std::move(rules)), crawl_delay_(crawl_delay) {}

  std::vector<rule> rules_;
  std::optional<double> crawl_delay_;
};

/// Normalizes a URL path or a robots.txt pattern for comparison (RFC 9309
/// 2.2.2), as described at `robots_rules::allowed`.
std::string normalize_robots_path(std::string_view text, bool is_pattern);

/// Whether the normalized `pattern` (with `*` wildcards and an optional
/// final `$`) matches the normalized `path` from its start.
bool robots_pattern_matches(std::string_view pattern, std::string_view path);

} // namespace troupe::crawler
