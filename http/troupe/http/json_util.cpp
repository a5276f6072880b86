#include "troupe/http/json_util.hpp"

#include <cstdint>
#include <cstring>
#include <limits>

#include "troupe/runtime/errors.hpp"

namespace troupe::http {

namespace {

caf::error invalid(std::string msg) {
  return runtime::make_error(runtime::errc::invalid_argument, std::move(msg));
}

caf::error not_uint(std::string_view name) {
  return invalid(std::string{name} + " must be a non-negative integer");
}

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

const nlohmann::json* find(const nlohmann::json& obj, std::string_view name) {
  if (!obj.is_object())
    return nullptr;
  auto i = obj.find(name);
  if (i == obj.end() || i->is_null())
    return nullptr;
  return &*i;
}

caf::expected<uint64_t> to_uint(const nlohmann::json& x,
                                std::string_view name) {
  if (x.is_number_unsigned())
    return x.get<uint64_t>();
  if (x.is_number_integer()) // signed: only reached for negative values
    return x.get<int64_t>() >= 0 ? caf::expected<uint64_t>{x.get<uint64_t>()}
                                 : caf::expected<uint64_t>{not_uint(name)};
  if (x.is_string()) {
    if (auto v = parse_uint(x.get_ref<const std::string&>()))
      return *v;
  }
  return not_uint(name);
}

} // namespace

caf::expected<nlohmann::json> parse_json_object(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    return invalid("malformed JSON: not valid JSON");
  if (!j.is_object())
    return invalid("malformed JSON: expected an object");
  return j;
}

caf::expected<std::string> required_string(const nlohmann::json& obj,
                                           std::string_view name) {
  auto x = find(obj, name);
  if (x == nullptr)
    return invalid(std::string{name} + " is required");
  if (!x->is_string())
    return invalid(std::string{name} + " must be a string");
  return x->get<std::string>();
}

caf::expected<std::optional<std::string>>
optional_string(const nlohmann::json& obj, std::string_view name) {
  auto x = find(obj, name);
  if (x == nullptr)
    return std::optional<std::string>{};
  if (!x->is_string())
    return invalid(std::string{name} + " must be a string");
  return std::optional<std::string>{x->get<std::string>()};
}

caf::expected<uint64_t> required_uint(const nlohmann::json& obj,
                                      std::string_view name) {
  auto x = find(obj, name);
  if (x == nullptr)
    return invalid(std::string{name} + " is required");
  return to_uint(*x, name);
}

caf::expected<std::optional<uint64_t>> optional_uint(const nlohmann::json& obj,
                                                     std::string_view name) {
  auto x = find(obj, name);
  if (x == nullptr)
    return std::optional<uint64_t>{};
  auto v = to_uint(*x, name);
  if (!v)
    return std::move(v.error());
  return std::optional<uint64_t>{*v};
}

std::optional<uint64_t> parse_uint(std::string_view text) {
  if (text.empty() || text.size() > 20)
    return std::nullopt;
  uint64_t result = 0;
  constexpr auto max = std::numeric_limits<uint64_t>::max();
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    auto d = static_cast<uint64_t>(c - '0');
    if (result > (max - d) / 10)
      return std::nullopt;
    result = result * 10 + d;
  }
  return result;
}

} // namespace troupe::http

namespace troupe::http {

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

} // namespace troupe::http
