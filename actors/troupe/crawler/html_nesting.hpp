#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace troupe::crawler {

/// Deepest element nesting a page keeps (Chromium's limit too).
constexpr size_t max_nesting = 512;

/// Returns `body` with the start tags that would nest deeper than
/// `max_nesting` (by an estimate of an HTML5 parser's stack of open
/// elements that errs on the deep side) replaced by a space, so that their
/// content stays one level up; nullopt if there are none. One pass over
/// the tags, O(bytes).
std::optional<std::string> limit_nesting(std::string_view body);

} // namespace troupe::crawler
