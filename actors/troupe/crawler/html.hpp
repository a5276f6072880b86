#pragma once

// What the crawler keeps of a fetched HTML page: its title, its visible text,
// its outgoing links and the robots meta directives, extracted from gumbo's
// HTML5 parse tree.
//
//   auto page = troupe::crawler::parse_html(body, "http://example.com/a/");
//   // page.title, page.text, page.links ("http://example.com/b", ...)
//
// Hostile pages cost bounded time and stack: gumbo's tree builder is
// quadratic in the nesting depth, so start tags that would nest deeper than
// 512 elements (the limit Chromium's parser applies) are dropped before
// gumbo sees them, and the tree is walked and freed without recursion.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::crawler {

/// Longest `parsed_page::title`, in bytes.
constexpr size_t max_title_bytes = 512;

/// Longest `parsed_page::text`, in bytes.
constexpr size_t max_text_bytes = 1 << 20;

/// Most links `parse_html` returns for one page.
constexpr size_t max_links = 10000;

/// What the crawler keeps of an HTML page.
struct parsed_page {
  /// Text of the first `<title>`: whitespace collapsed, trimmed, at most
  /// `max_title_bytes` (cut on a UTF-8 boundary).
  std::string title;

  /// Visible text: text outside `script`, `style`, `noscript`, `template`,
  /// `title`, `iframe` and `head`. Block-level elements and `<br>` separate
  /// words; whitespace (and U+00A0) is collapsed to one space; trimmed; at
  /// most `max_text_bytes` (cut on a UTF-8 boundary).
  std::string text;

  /// The `href` of every `<a>` and `<area>`, resolved against the first
  /// `<base href>` (if it resolves) or else the page URL; http and https
  /// only, normalized by `net::url` (no fragment, no default port, dot
  /// segments resolved); deduplicated, in document order, at most
  /// `max_links`. Empty when `nofollow`.
  std::vector<std::string> links;

  /// `<meta name="robots">` says `noindex` or `none`.
  bool noindex = false;

  /// `<meta name="robots">` says `nofollow` or `none`.
  bool nofollow = false;
};

/// Parses `body` (HTML as fetched, UTF-8 expected; invalid bytes become
/// U+FFFD) of the page at the absolute URL `base_url`. Never throws: garbage
/// input yields an empty or partial page. Bytes past the first 32 MiB are
/// ignored.
parsed_page parse_html(std::string_view body, std::string_view base_url);

} // namespace troupe::crawler
