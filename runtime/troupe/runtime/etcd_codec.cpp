#include "troupe/runtime/etcd_codec.hpp"

#include <array>
#include <charconv>

#include <nlohmann/json.hpp>

namespace troupe::runtime::etcd {

namespace {

using json = nlohmann::json;

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const char* target_name(compare::target t) {
  switch (t) {
  case compare::target::create:
    return "CREATE";
  case compare::target::mod:
    return "MOD";
  default:
    return "VERSION";
  }
}

const char* target_field(compare::target t) {
  switch (t) {
  case compare::target::create:
    return "create_revision";
  case compare::target::mod:
    return "mod_revision";
  default:
    return "version";
  }
}

const char* relation_name(compare::relation r) {
  switch (r) {
  case compare::relation::greater:
    return "GREATER";
  case compare::relation::less:
    return "LESS";
  case compare::relation::not_equal:
    return "NOT_EQUAL";
  default:
    return "EQUAL";
  }
}

json encode_op(const operation& op) {
  if (op.is_put) {
    json put{{"key", base64_encode(op.key)},
             {"value", base64_encode(op.value)}};
    if (op.lease != 0)
      put["lease"] = std::to_string(op.lease);
    return json{{"request_put", std::move(put)}};
  }
  json range{{"key", base64_encode(op.key)}};
  if (!op.range_end.empty())
    range["range_end"] = base64_encode(op.range_end);
  if (op.min_mod_revision != 0)
    range["min_mod_revision"] = std::to_string(op.min_mod_revision);
  return json{{"request_range", std::move(range)}};
}

/// Reads an int64 that etcd renders as a string (or, rarely, a number);
/// absent means 0.
bool read_int(const json& obj, const char* name, int64_t& out) {
  out = 0;
  auto i = obj.find(name);
  if (i == obj.end())
    return true;
  if (i->is_number_integer()) {
    out = i->get<int64_t>();
    return true;
  }
  if (!i->is_string())
    return false;
  const auto& s = i->get_ref<const std::string&>();
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

/// Parses `body` as a JSON object; an error body names etcd's error.
std::optional<json> parse_object(std::string_view body, std::string* why) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object()) {
    if (why != nullptr)
      *why = "etcd answered something that is not a JSON object";
    return std::nullopt;
  }
  if (auto e = j.find("error"); e != j.end()) {
    if (why != nullptr)
      *why = "etcd: " + (e->is_string() ? e->get<std::string>() : e->dump());
    return std::nullopt;
  }
  return j;
}

bool decode_kv(const json& j, key_value& out) {
  if (!j.is_object())
    return false;
  auto key = j.find("key");
  if (key == j.end() || !key->is_string())
    return false;
  auto k = base64_decode(key->get_ref<const std::string&>());
  if (!k)
    return false;
  out.key = std::move(*k);
  if (auto v = j.find("value"); v != j.end()) {
    auto value = v->is_string()
                     ? base64_decode(v->get_ref<const std::string&>())
                     : std::nullopt;
    if (!value)
      return false;
    out.value = std::move(*value);
  }
  return read_int(j, "create_revision", out.create_revision) &&
         read_int(j, "mod_revision", out.mod_revision) &&
         read_int(j, "version", out.version) && read_int(j, "lease", out.lease);
}

bool decode_range(const json& j, std::vector<key_value>& out) {
  auto kvs = j.find("kvs");
  if (kvs == j.end())
    return true;
  if (!kvs->is_array())
    return false;
  for (const auto& item : *kvs) {
    key_value kv;
    if (!decode_kv(item, kv))
      return false;
    out.push_back(std::move(kv));
  }
  return true;
}

} // namespace

compare compare::absent(std::string key) {
  return compare{std::move(key), target::version, relation::equal, 0};
}

compare compare::exists(std::string key) {
  return compare{std::move(key), target::version, relation::greater, 0};
}

compare compare::mod_revision(std::string key, int64_t revision) {
  if (revision == 0)
    return compare{std::move(key), target::create, relation::equal, 0};
  return compare{std::move(key), target::mod, relation::equal, revision};
}

operation operation::put(std::string key, std::string value, int64_t lease) {
  operation op;
  op.is_put = true;
  op.key = std::move(key);
  op.value = std::move(value);
  op.lease = lease;
  return op;
}

operation operation::range(std::string key, std::string range_end,
                           int64_t min_mod_revision) {
  operation op;
  op.key = std::move(key);
  op.range_end = std::move(range_end);
  op.min_mod_revision = min_mod_revision;
  return op;
}

operation operation::prefix(std::string prefix, int64_t min_mod_revision) {
  auto end = prefix_end(prefix);
  return range(std::move(prefix), std::move(end), min_mod_revision);
}

std::string prefix_end(std::string_view prefix) {
  std::string end{prefix};
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0'); // every key
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6)
      out += alphabet[(n >> shift) & 63];
  }
  if (auto rest = bytes.size() - i; rest > 0) {
    uint32_t n = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::array<int, 256> value;
  value.fill(-1);
  for (size_t k = 0; k < alphabet.size(); ++k)
    value[static_cast<unsigned char>(alphabet[k])] = static_cast<int>(k);
  if (text.size() % 4 != 0)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t n = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      auto c = static_cast<unsigned char>(text[i + k]);
      bool last_quad = i + 4 == text.size();
      if (c == '=' && last_quad && k >= 2 && (k == 3 || text[i + 3] == '=')) {
        ++pad;
        n <<= 6;
        continue;
      }
      if (value[c] < 0 || pad > 0)
        return std::nullopt;
      n = n << 6 | static_cast<uint32_t>(value[c]);
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2)
      out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1)
      out += static_cast<char>(n & 0xff);
  }
  return out;
}

std::string encode_txn(const txn_request& req) {
  json compares = json::array();
  for (const auto& c : req.compares)
    compares.push_back(json{{"key", base64_encode(c.key)},
                            {"target", target_name(c.what)},
                            {"result", relation_name(c.op)},
                            {target_field(c.what), std::to_string(c.value)}});
  json success = json::array();
  for (const auto& op : req.success)
    success.push_back(encode_op(op));
  json failure = json::array();
  for (const auto& op : req.failure)
    failure.push_back(encode_op(op));
  return json{{"compare", std::move(compares)},
              {"success", std::move(success)},
              {"failure", std::move(failure)}}
      .dump();
}

std::string encode_grant(int64_t ttl_seconds) {
  return json{{"TTL", std::to_string(ttl_seconds)}}.dump();
}

std::string encode_lease_id(int64_t id) {
  return json{{"ID", std::to_string(id)}}.dump();
}

std::optional<txn_response> decode_txn(std::string_view body,
                                       std::string* why) {
  auto j = parse_object(body, why);
  if (!j)
    return std::nullopt;
  txn_response out;
  auto ok = j->find("succeeded");
  out.succeeded = ok != j->end() && ok->is_boolean() && ok->get<bool>();
  auto header = j->find("header");
  bool good = header != j->end() && header->is_object() &&
              read_int(*header, "revision", out.revision);
  if (auto rs = j->find("responses"); good && rs != j->end()) {
    good = rs->is_array();
    for (size_t i = 0; good && i < rs->size(); ++i) {
      auto range = (*rs)[i].find("response_range");
      if (range == (*rs)[i].end())
        continue;
      out.ranges.emplace_back();
      good = range->is_object() && decode_range(*range, out.ranges.back());
    }
  }
  if (!good) {
    if (why != nullptr)
      *why = "etcd answered a transaction in an unexpected shape";
    return std::nullopt;
  }
  return out;
}

std::optional<lease_grant> decode_grant(std::string_view body,
                                        std::string* why) {
  auto j = parse_object(body, why);
  if (!j)
    return std::nullopt;
  lease_grant out;
  if (!read_int(*j, "ID", out.id) || !read_int(*j, "TTL", out.ttl) ||
      out.id == 0 || out.ttl <= 0) {
    if (why != nullptr)
      *why = "etcd granted no lease";
    return std::nullopt;
  }
  return out;
}

std::optional<int64_t> decode_keepalive(std::string_view body,
                                        std::string* why) {
  std::string err;
  auto j = parse_object(body, &err);
  if (!j && err.find("lease not found") != std::string::npos)
    return 0;
  if (!j) {
    if (why != nullptr)
      *why = std::move(err);
    return std::nullopt;
  }
  // The gateway streams keep-alive answers: {"result": {...}}.
  auto result = j->find("result");
  int64_t ttl = 0;
  if (result == j->end() || !result->is_object() ||
      !read_int(*result, "TTL", ttl)) {
    if (why != nullptr)
      *why = "etcd answered a keep-alive in an unexpected shape";
    return std::nullopt;
  }
  return ttl < 0 ? 0 : ttl;
}

} // namespace troupe::runtime::etcd
