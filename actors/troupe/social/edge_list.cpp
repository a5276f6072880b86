#include "troupe/social/edge_list.hpp"

#include <cstring>

namespace troupe::social {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

/// Shortens `text` for an error message (it may be hostile or huge).
std::string quoted(std::string_view text) {
  constexpr size_t max = 24;
  std::string out{"'"};
  for (char c : text.substr(0, max))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > max)
    out += "...";
  return out + "'";
}

} // namespace

person_id parse_person_id(std::string_view text) {
  if (text.empty() || text.size() > 10)
    return 0;
  uint64_t x = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return 0;
    x = x * 10 + static_cast<uint64_t>(c - '0');
  }
  return x > UINT32_MAX ? 0 : static_cast<person_id>(x);
}

void edge_list_parser::feed(std::string_view piece,
                            std::vector<person_id>& out) {
  lines_.feed(piece, [&](uint64_t n, std::string_view line, bool overlong) {
    on_line(n, line, overlong, out);
  });
}

void edge_list_parser::finish(std::vector<person_id>& out) {
  lines_.finish([&](uint64_t n, std::string_view line, bool overlong) {
    on_line(n, line, overlong, out);
  });
}

void edge_list_parser::on_line(uint64_t number, std::string_view line,
                               bool overlong, std::vector<person_id>& out) {
  if (overlong)
    return reject(number, "line longer than " + std::to_string(max_line_bytes) +
                              " bytes");
  std::string_view fields[3];
  size_t n = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i]))
      ++i;
    if (i == line.size())
      break;
    auto start = i;
    while (i < line.size() && !is_blank(line[i]))
      ++i;
    if (n < 3)
      fields[n] = line.substr(start, i - start);
    ++n;
  }
  if (n == 0 || fields[0][0] == '#')
    return; // blank line or comment
  if (n != 2)
    return reject(number, "expected 2 fields (person_id friend_id), got " +
                              std::to_string(n));
  auto a = parse_person_id(fields[0]);
  auto b = parse_person_id(fields[1]);
  if (a == 0 || b == 0)
    return reject(number, "bad person id " +
                              quoted(a == 0 ? fields[0] : fields[1]) +
                              " (an integer from 1 to 4294967295)");
  if (a == b)
    return reject(number, "self-loop (a person cannot befriend themselves)");
  out.push_back(a);
  out.push_back(b);
  ++accepted_;
}

void edge_list_parser::reject(uint64_t number, std::string reason) {
  ++rejected_count_;
  if (rejected_.size() < max_rejections_)
    rejected_.push_back({number, std::move(reason)});
}

} // namespace troupe::social
