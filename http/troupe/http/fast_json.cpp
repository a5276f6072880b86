#include "troupe/http/fast_json.hpp"

#include <simdjson.h>

#include "troupe/http/json_util.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::http {

namespace {

caf::error invalid(std::string msg) {
  return runtime::make_error(runtime::errc::invalid_argument, std::move(msg));
}

/// Returns the field, or nullopt when absent or null.
std::optional<simdjson::dom::element> field(simdjson::dom::object obj,
                                            std::string_view name) {
  simdjson::dom::element x;
  if (obj.at_key(name).get(x) != simdjson::SUCCESS || x.is_null())
    return std::nullopt;
  return x;
}

caf::expected<std::optional<uint64_t>> read_uint(simdjson::dom::object obj,
                                                 std::string_view name) {
  auto x = field(obj, name);
  if (!x)
    return std::optional<uint64_t>{};
  uint64_t u = 0;
  int64_t i = 0;
  std::string_view s;
  if (x->get_uint64().get(u) == simdjson::SUCCESS)
    return std::optional<uint64_t>{u};
  if (x->get_int64().get(i) == simdjson::SUCCESS && i >= 0)
    return std::optional<uint64_t>{static_cast<uint64_t>(i)};
  if (x->get_string().get(s) == simdjson::SUCCESS)
    if (auto v = parse_uint(s))
      return std::optional<uint64_t>{*v};
  return invalid(std::string{name} + " must be a non-negative integer");
}

} // namespace

caf::expected<text_and_number>
read_text_and_number(std::string_view body, std::string_view text_field,
                     std::string_view number_field) {
  // One parser per I/O thread; its buffers are reused across requests.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS)
    return invalid("malformed JSON: not valid JSON");
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS)
    return invalid("malformed JSON: expected an object");
  text_and_number result;
  auto text = field(obj, text_field);
  if (!text)
    return invalid(std::string{text_field} + " is required");
  std::string_view sv;
  if (text->get_string().get(sv) != simdjson::SUCCESS)
    return invalid(std::string{text_field} + " must be a string");
  result.text.assign(sv.data(), sv.size());
  auto number = read_uint(obj, number_field);
  if (!number)
    return std::move(number.error());
  result.number = *number;
  return result;
}

} // namespace troupe::http
