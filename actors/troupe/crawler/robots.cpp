// robots.txt parsing and matching after RFC 9309.
//
// Parsing is one pass over the lines. A run of consecutive user-agent lines
// opens a group; the group applies to us if any of its lines names our
// product token, and is a fallback if any names `*`. Rules and crawl-delay
// lines then go to the token set, the `*` set, both or neither; they also
// end the user-agent run, so the next user-agent line opens a new group.
// Blank lines, comments, `sitemap` and unknown keys change nothing (the RFC
// says other records do not end a group). At the end the token set wins if
// any group named the token (even one without rules), else the `*` set,
// else there are no rules.

#include "troupe/crawler/robots.hpp"

#include <charconv>
#include <cmath>

namespace troupe::crawler {

namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
constexpr char hex_digits[] = "0123456789ABCDEF";

/// Lower-cases an ASCII letter; leaves every other byte alone.
char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Case-insensitive ASCII equality.
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i]))
      return false;
  return true;
}

/// Strips spaces and tabs on both ends.
std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

/// The leading product token of a user-agent value: letters, `_` and `-`
/// (RFC 9309 2.2.1), so "Troupe/1.0" yields "Troupe".
std::string_view product_token_of(std::string_view value) {
  size_t n = 0;
  while (n < value.size()) {
    char c = ascii_lower(value[n]);
    if (!((c >= 'a' && c <= 'z') || c == '_' || c == '-'))
      break;
    ++n;
  }
  return value.substr(0, n);
}

/// The value of a hex digit, or -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

/// Appends `%XX` for byte `c`.
void append_encoded(std::string& out, unsigned char c) {
  out += '%';
  out += hex_digits[c >> 4];
  out += hex_digits[c & 0xF];
}

/// Parses a non-negative, finite Crawl-delay value.
std::optional<double> parse_delay(std::string_view value) {
  double seconds = 0;
  auto end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, seconds);
  if (ec != std::errc{} || ptr == value.data() || !std::isfinite(seconds) ||
      seconds < 0)
    return std::nullopt;
  return seconds;
}

/// The key of a robots.txt line, classified.
enum class key_kind { user_agent, allow, disallow, crawl_delay, other };

/// Classifies a (trimmed) key case-insensitively.
key_kind classify(std::string_view key) {
  if (iequals(key, "user-agent"))
    return key_kind::user_agent;
  if (iequals(key, "allow"))
    return key_kind::allow;
  if (iequals(key, "disallow"))
    return key_kind::disallow;
  if (iequals(key, "crawl-delay"))
    return key_kind::crawl_delay;
  return key_kind::other;
}

/// The rules and delay collected for one audience (our token, or `*`).
struct rule_set {
  bool named = false;
  std::vector<robots_rules::rule> rules;
  std::optional<double> crawl_delay;
};

/// The line-by-line state machine described at the top of this file.
class parser {
public:
  explicit parser(std::string_view product_token)
      : token_(product_token_of(trim(product_token))) {}

  /// Feeds one line (without its line break).
  void line(std::string_view text) {
    text = text.substr(0, text.find('#'));
    auto colon = text.find(':');
    if (colon == std::string_view::npos)
      return;
    auto key = classify(trim(text.substr(0, colon)));
    auto value = trim(text.substr(colon + 1));
    if (key == key_kind::user_agent)
      user_agent(value);
    else if (key != key_kind::other)
      member(key, value);
  }

  /// The token set if any group named the token, else the `*` set.
  rule_set& result() { return for_token_.named ? for_token_ : for_star_; }

private:
  /// A user-agent line: opens a group unless it continues a run.
  void user_agent(std::string_view value) {
    if (!in_agent_run_) {
      in_agent_run_ = true;
      in_group_ = true;
      group_token_ = group_star_ = false;
    }
    if (!value.empty() && value.front() == '*') {
      group_star_ = true;
      for_star_.named = true;
    } else if (!token_.empty() && iequals(product_token_of(value), token_)) {
      group_token_ = true;
      for_token_.named = true;
    }
  }

  /// An allow, disallow or crawl-delay line of the current group.
  void member(key_kind key, std::string_view value) {
    in_agent_run_ = false;
    if (!in_group_)
      return; // before any user-agent line
    if (group_token_)
      add(for_token_, key, value);
    if (group_star_)
      add(for_star_, key, value);
  }

  /// Adds a rule or the delay to `set`; empty patterns match nothing.
  static void add(rule_set& set, key_kind key, std::string_view value) {
    if (key == key_kind::crawl_delay) {
      if (!set.crawl_delay)
        set.crawl_delay = parse_delay(value);
      return;
    }
    if (value.empty())
      return;
    set.rules.push_back(
        {normalize_robots_path(value, true), key == key_kind::allow});
  }

  std::string_view token_;
  bool in_agent_run_ = false;
  bool in_group_ = false;
  bool group_token_ = false;
  bool group_star_ = false;
  rule_set for_token_;
  rule_set for_star_;
};

/// Calls `f` for each line; lines end with CR, LF or CRLF.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto end = text.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      f(text);
      return;
    }
    f(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
}

/// Whether the path part of `normalized` is exactly "/robots.txt".
bool is_robots_txt(std::string_view normalized) {
  return normalized.substr(0, normalized.find('?')) == "/robots.txt";
}

/// Matches `pattern` (no `*`) at the start of `path`, or as all of it.
bool literal_matches(std::string_view pattern, std::string_view path,
                     bool anchored) {
  if (anchored)
    return path == pattern;
  return path.substr(0, pattern.size()) == pattern;
}

} // namespace

std::string normalize_robots_path(std::string_view text, bool is_pattern) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      auto byte = static_cast<unsigned char>(hex_value(text[i + 1]) * 16 +
                                             hex_value(text[i + 2]));
      if (unreserved(byte))
        out += static_cast<char>(byte);
      else
        append_encoded(out, byte);
      i += 2;
    } else if (c <= 0x20 || c >= 0x7F) {
      append_encoded(out, c);
    } else if (c == '$' && !(is_pattern && i + 1 == text.size())) {
      append_encoded(out, c); // literal, not the end anchor
    } else if (c == '*' && !is_pattern) {
      append_encoded(out, c); // literal in a path, so `%2A` matches it
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool robots_pattern_matches(std::string_view pattern, std::string_view path) {
  bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored)
    pattern.remove_suffix(1);
  auto star = pattern.find('*');
  if (star == std::string_view::npos)
    return literal_matches(pattern, path, anchored);
  // The first segment is a prefix; each middle segment is taken at its
  // leftmost occurrence (never worse for what follows); the last segment is
  // searched for, or must be the suffix when anchored.
  if (path.substr(0, star) != pattern.substr(0, star))
    return false;
  size_t pos = star;
  pattern.remove_prefix(star + 1);
  for (star = pattern.find('*'); star != std::string_view::npos;
       star = pattern.find('*')) {
    auto found = path.find(pattern.substr(0, star), pos);
    if (found == std::string_view::npos)
      return false;
    pos = found + star;
    pattern.remove_prefix(star + 1);
  }
  if (!anchored)
    return path.find(pattern, pos) != std::string_view::npos;
  return path.size() - pos >= pattern.size() &&
         path.substr(path.size() - pattern.size()) == pattern;
}

robots_rules robots_rules::parse(std::string_view text,
                                 std::string_view product_token) {
  text = text.substr(0, max_bytes);
  if (text.substr(0, utf8_bom.size()) == utf8_bom)
    text.remove_prefix(utf8_bom.size());
  parser p{product_token};
  for_each_line(text, [&p](std::string_view line) { p.line(line); });
  auto& set = p.result();
  return robots_rules{std::move(set.rules), set.crawl_delay};
}

robots_rules robots_rules::allow_all() {
  return robots_rules{{}, std::nullopt};
}

robots_rules robots_rules::disallow_all() {
  return robots_rules{{rule{"/", false}}, std::nullopt};
}

bool robots_rules::allowed(std::string_view path_and_query) const {
  auto path = normalize_robots_path(path_and_query, false);
  if (path.empty() || path.front() != '/')
    path.insert(path.begin(), '/');
  if (is_robots_txt(path))
    return true;
  long best_allow = -1;
  long best_disallow = -1;
  for (const auto& r : rules_) {
    auto& best = r.allow ? best_allow : best_disallow;
    auto length = static_cast<long>(r.pattern.size());
    if (length > best && robots_pattern_matches(r.pattern, path))
      best = length;
  }
  return best_allow >= best_disallow;
}

} // namespace troupe::crawler
