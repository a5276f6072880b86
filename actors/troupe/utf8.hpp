#pragma once

#include <cstddef>
#include <string_view>

namespace troupe {

/// Returns the length of the well-formed UTF-8 sequence at `s[i]` (Unicode
/// table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF),
/// 0 if there is none. `i` must be below `s.size()`.
size_t utf8_sequence_length(std::string_view s, size_t i);

/// Returns whether all of `s` is well-formed UTF-8.
bool valid_utf8(std::string_view s);

} // namespace troupe
