#include "troupe/mint/txn_line.hpp"

#include "troupe/mint/money.hpp"
#include "troupe/timestamp.hpp"
#include "troupe/utf8.hpp"

namespace troupe::mint {

namespace {

/// Largest timestamp accepted: 9999-12-31T23:59:59Z.
constexpr int64_t max_time = 253402300799;

} // namespace

bool valid_user_id(std::string_view text) {
  if (text.empty() || text.size() > max_user_id_bytes)
    return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
          c == '@' || c == '-'))
      return false;
  return true;
}

bool valid_seller(std::string_view text) {
  if (text.empty() || text.size() > max_seller_bytes)
    return false;
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f)
      return false;
    auto n = utf8_sequence_length(text, i);
    // C1 controls (U+0080..U+009F) are control characters too.
    if (n == 0 || (c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0))
      return false;
    i += n;
  }
  return true;
}

const char* to_string(line_error x) {
  switch (x) {
  case line_error::none:
    return "none";
  case line_error::field_count:
    return "field_count";
  case line_error::bad_user_id:
    return "bad_user_id";
  case line_error::bad_timestamp:
    return "bad_timestamp";
  case line_error::bad_seller:
    return "bad_seller";
  case line_error::bad_amount:
    return "bad_amount";
  case line_error::line_too_long:
    return "line_too_long";
  }
  return "unknown";
}

line_error parse_txn_line(std::string_view line, txn_fields& out) {
  std::string_view f[4];
  size_t n = 0;
  while (n < 4) {
    auto tab = line.find('\t');
    f[n++] = line.substr(0, tab);
    if (tab == std::string_view::npos) {
      line = {};
      break;
    }
    line.remove_prefix(tab + 1);
    if (n == 4)
      return line_error::field_count;
  }
  if (n != 4)
    return line_error::field_count;
  if (!valid_user_id(f[0]))
    return line_error::bad_user_id;
  auto t = parse_timestamp(f[1]);
  if (!t || *t < 0 || *t > max_time)
    return line_error::bad_timestamp;
  if (!valid_seller(f[2]))
    return line_error::bad_seller;
  auto cents = parse_cents(f[3]);
  if (!cents)
    return line_error::bad_amount;
  out = {f[0], *t, f[2], *cents};
  return line_error::none;
}

} // namespace troupe::mint
