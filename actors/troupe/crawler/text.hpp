#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::crawler {

/// Longest term kept, in bytes; longer runs are dropped (base64 blobs, URLs
/// glued together) rather than truncated, so they cannot collide.
constexpr size_t max_term_bytes = 64;

/// Splits `text` into index terms, the same way for documents and queries.
/// ASCII letters and digits form terms (lower-cased); every other ASCII byte
/// separates. Bytes >= 0x80 (UTF-8 sequences) stay inside terms unchanged:
/// there is no case folding beyond ASCII. Terms over `max_term_bytes` are
/// dropped.
std::vector<std::string> terms_of(std::string_view text);

/// Removes `<...>` tags (each becomes a space, so `a<br>b` stays two words)
/// and decodes `&amp; &lt; &gt; &quot; &#39; &nbsp;`. A `<` with no `>`
/// after it is kept as text; other entities are kept as written. Decoded
/// characters never start a tag.
std::string strip_markup(std::string_view text);

/// A parsed search query: every group must match (AND) by at least one of
/// its terms (OR), and no excluded term may appear.
struct query {
  /// The AND groups, each a non-empty list of alternative terms.
  std::vector<std::vector<std::string>> all_of_any;

  /// Terms a matching document must not contain.
  std::vector<std::string> excluded;

  /// Parses a user's query: markup is stripped, then the text is cut into
  /// whitespace-separated words. The word `OR` (upper-case, on its own)
  /// joins the terms either side into one group (`a OR b c` is `(a|b) c`,
  /// `a OR b OR c` one group of three); a word starting with `-` excludes its
  /// terms; every other term is a group of its own. Terms are lower-cased
  /// by `terms_of`. Returns `nullopt` when no positive term remains.
  static std::optional<query> parse(std::string_view text);
};

} // namespace troupe::crawler
