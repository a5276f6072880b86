#include "troupe/mint/extract.hpp"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "troupe/mint/money.hpp"
#include "troupe/mint/txn_line.hpp"
#include "troupe/timestamp.hpp"

namespace troupe::mint {

namespace {

/// Longest institution transaction id.
constexpr size_t max_ext_id_bytes = 128;

/// Latest time accepted: 9999-12-31T23:59:59Z (as for imports).
constexpr int64_t max_time = 253402300799;

std::optional<int64_t> json_cents(const nlohmann::json& v) {
  if (v.is_string())
    return parse_cents(v.get_ref<const std::string&>());
  if (v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX)
    return std::nullopt;
  if (v.is_number_integer()) {
    auto n = v.get<int64_t>();
    if (n > max_cents / 100 || n < -max_cents / 100)
      return std::nullopt;
    return n * 100;
  }
  if (v.is_number_float()) // the shortest text that round-trips, then exact
    return parse_cents(v.dump());
  return std::nullopt;
}

std::optional<txn_entry> parse_item(const nlohmann::json& item,
                                    const std::string& account) {
  if (!item.is_object())
    return std::nullopt;
  auto id = item.find("id");
  auto at = item.find("created_at");
  auto seller = item.find("seller");
  auto amount = item.find("amount");
  if (id == item.end() || at == item.end() || seller == item.end() ||
      amount == item.end() || !seller->is_string())
    return std::nullopt;
  txn_entry t;
  t.account = account;
  t.ext_id = id->is_string() ? id->get<std::string>() : id->dump();
  if (t.ext_id.empty() || t.ext_id.size() > max_ext_id_bytes ||
      !(id->is_string() || id->is_number_integer()))
    return std::nullopt;
  std::optional<int64_t> time;
  if (at->is_string())
    time = parse_timestamp(at->get_ref<const std::string&>());
  else if (at->is_number_unsigned())
    time = static_cast<int64_t>(
        std::min<uint64_t>(at->get<uint64_t>(), uint64_t{max_time} + 1));
  auto cents = json_cents(*amount);
  t.seller = seller->get<std::string>();
  if (!time || *time < 0 || *time > max_time || !cents ||
      !valid_seller(t.seller))
    return std::nullopt;
  t.created_at = *time;
  t.cents = *cents;
  return t;
}

} // namespace

const char* to_string(extract_failure x) {
  switch (x) {
  case extract_failure::none:
    return "";
  case extract_failure::bad_credentials:
    return "bad_credentials";
  case extract_failure::unreachable:
    return "unreachable";
  case extract_failure::bad_response:
    return "bad_response";
  }
  return "unknown";
}

std::optional<std::vector<txn_entry>>
parse_institution_answer(std::string_view body, const std::string& account,
                         std::string& why) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    why = "the answer is not a JSON array";
    return std::nullopt;
  }
  std::vector<txn_entry> out;
  out.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    auto t = parse_item(doc[i], account);
    if (!t) {
      why = "item " + std::to_string(i) +
            " is not {\"id\",\"created_at\",\"seller\",\"amount\"}";
      return std::nullopt;
    }
    out.push_back(std::move(*t));
  }
  return out;
}

std::string transactions_url(std::string_view account_url,
                             std::string_view since_date) {
  std::string out{account_url};
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  out += "/transactions?since=";
  out += since_date;
  return out;
}

} // namespace troupe::mint
