#pragma once

#include <string>
#include <string_view>

namespace troupe {

/// Appends `text` to `out` as a JSON string literal (quotes included).
/// Escapes `"`, `\` and control characters; passes every other byte through
/// unchanged, so `text` must be valid UTF-8 (as everything troupe stores
/// is: it was validated when it arrived). Faster than building a JSON value
/// for hot responses.
void append_json_string(std::string& out, std::string_view text);

} // namespace troupe
