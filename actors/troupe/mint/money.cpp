#include "troupe/mint/money.hpp"

namespace troupe::mint {

std::optional<int64_t> parse_cents(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative || (!text.empty() && text[0] == '+'))
    text.remove_prefix(1);
  auto dot = text.find('.');
  auto whole = text.substr(0, dot);
  auto frac =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || frac.size() > 2 ||
      (dot != std::string_view::npos && frac.empty()))
    return std::nullopt;
  int64_t cents = 0;
  for (char c : whole) {
    if (c < '0' || c > '9')
      return std::nullopt;
    cents = cents * 10 + (c - '0');
  }
  for (size_t i = 0; i < 2; ++i) {
    char c = i < frac.size() ? frac[i] : '0';
    if (c < '0' || c > '9')
      return std::nullopt;
    cents = cents * 10 + (c - '0');
  }
  if (cents > max_cents)
    return std::nullopt;
  return negative ? -cents : cents;
}

void append_cents(std::string& out, int64_t cents) {
  if (cents < 0)
    out += '-';
  auto mag =
      cents < 0 ? -static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  out += std::to_string(mag / 100);
  out += '.';
  out += static_cast<char>('0' + mag % 100 / 10);
  out += static_cast<char>('0' + mag % 10);
}

std::string format_cents(int64_t cents) {
  std::string out;
  append_cents(out, cents);
  return out;
}

} // namespace troupe::mint
