#include "troupe/http/json_util.hpp"

#include <cstdint>
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
