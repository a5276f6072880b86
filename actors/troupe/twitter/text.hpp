#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::twitter {

/// The number of code points of `text`, or nullopt if it is not valid
/// UTF-8 (overlong forms, surrogates and values above U+10FFFF are not).
std::optional<size_t> utf8_length(std::string_view text);

/// The longest status, in code points.
constexpr size_t max_status_length = 280;

/// The search terms of `text`, in order of first appearance, each once:
/// markup tags (`<b>`, `</a>`, `<a href="...">`) and HTML entities
/// (`&amp;`) are removed, every character that is not an ASCII letter or
/// digit or part of a multi-byte UTF-8 sequence separates terms (so
/// `@alice` and `#cpp` give `alice` and `cpp`), and ASCII letters are
/// lower-cased. Terms longer than `max_term_bytes` are cut there.
std::vector<std::string> tokenize(std::string_view text);

constexpr size_t max_term_bytes = 64;

/// The user ids mentioned in `text` (`@` + [A-Za-z0-9_], not preceded by a
/// letter, digit or `_`, as in an e-mail address), in order, each once.
std::vector<std::string> mentions(std::string_view text);

} // namespace troupe::twitter
