#include "troupe/json_text.hpp"

#include <cstdint>
#include <cstring>

namespace troupe {

namespace {

/// Returns whether one of the 8 bytes in `x` is a control character, `"` or
/// `\` (bytes >= 0x80 never match).
bool needs_escape(uint64_t x) {
  constexpr uint64_t ones = 0x0101010101010101ull;
  constexpr uint64_t highs = 0x8080808080808080ull;
  auto below_space = (x - ones * 0x20) & ~x & highs;
  auto q = x ^ (ones * '"');
  auto quote = (q - ones) & ~q & highs;
  auto b = x ^ (ones * '\\');
  auto backslash = (b - ones) & ~b & highs;
  return (below_space | quote | backslash) != 0;
}

} // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  size_t run = 0; // start of the pending run of bytes that need no escape
  for (size_t i = 0; i < text.size(); ++i) {
    // Skip 8 clean bytes at a time.
    while (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof(word));
      if (needs_escape(word))
        break;
      i += 8;
    }
    if (i == text.size())
      break;
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

} // namespace troupe
