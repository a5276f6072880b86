// Key-value query cache: the key comes from the query string, the value is
// the raw request body (any bytes) and is answered as raw bytes.

#include <limits>

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/cache/messages.hpp"
#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/routes/routes.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::cache;

constexpr const char* octet_stream = "application/octet-stream";

/// Reads the `key` parameter; responds 400 and returns nothing if bad.
std::optional<std::string> read_key(request_context& ctx) {
  auto key = ctx.query("key");
  if (!key || key->empty()) {
    ctx.respond_error(400, "invalid_argument",
                      "missing or empty query parameter key");
    return std::nullopt;
  }
  if (key->size() > max_key_bytes) {
    ctx.respond_error(400, "invalid_argument",
                      "key exceeds " + std::to_string(max_key_bytes) +
                          " bytes");
    return std::nullopt;
  }
  return key;
}

/// Reads the optional `ttl_seconds` (0 when absent); responds 400 and
/// returns nothing if it is not a positive integer.
std::optional<uint32_t> read_ttl(request_context& ctx) {
  auto text = ctx.query("ttl_seconds");
  if (!text)
    return 0;
  constexpr uint64_t max_ttl = std::numeric_limits<uint32_t>::max();
  auto ttl = parse_uint(*text);
  if (!ttl || *ttl < 1 || *ttl > max_ttl) {
    ctx.respond_error(400, "invalid_argument",
                      "ttl_seconds must be an integer from 1 to " +
                          std::to_string(max_ttl));
    return std::nullopt;
  }
  return static_cast<uint32_t>(*ttl);
}

void put_entry(request_context& ctx, const cache::service& svc,
               size_t max_value) {
  auto key = read_key(ctx);
  if (!key)
    return;
  auto ttl = read_ttl(ctx);
  if (!ttl)
    return;
  if (ctx.body().size() > max_value)
    return ctx.respond_error(413, "payload_too_large",
                             "value exceeds " + std::to_string(max_value) +
                                 " bytes");
  auto dest = svc.route(*key);
  ctx.request_then<ok_atom>(dest,
                            caf::make_message(put_atom::value, std::move(*key),
                                              std::move(ctx.body()), *ttl),
                            [&ctx](ok_atom) { ctx.respond(204, {}); });
}

void get_entry(request_context& ctx, const cache::service& svc) {
  auto key = read_key(ctx);
  if (!key)
    return;
  auto dest = svc.route(*key);
  ctx.request_then<std::string>(
      dest, caf::make_message(get_atom::value, std::move(*key)),
      [&ctx](std::string& value) {
        ctx.respond(200, std::move(value), octet_stream);
      });
}

void delete_entry(request_context& ctx, const cache::service& svc) {
  auto key = read_key(ctx);
  if (!key)
    return;
  auto dest = svc.route(*key);
  ctx.request_then<ok_atom>(
      dest, caf::make_message(delete_atom::value, std::move(*key)),
      [&ctx](ok_atom) { ctx.respond(204, {}); });
}

void read_stats(request_context& ctx, const cache::service& svc) {
  ctx.request_then<cache_stats>(
      svc.api, caf::make_message(stats_atom::value), [&ctx](cache_stats& s) {
        nlohmann::json body{{"entries", s.entries},
                            {"bytes", s.bytes},
                            {"capacity_bytes", s.capacity_bytes},
                            {"hits", s.hits},
                            {"misses", s.misses},
                            {"evictions", s.evictions},
                            {"expired", s.expired}};
        ctx.respond(200, body.dump());
      });
}

} // namespace

void add_cache(router& r, const cache::service& svc,
               const config::node_config& cfg) {
  auto max_value = cfg.cache.max_value_bytes;
  const char* entry = "/cache/api/v1/entry";
  r.add(method::put, entry, [svc, max_value](request_context& ctx) {
    put_entry(ctx, svc, max_value);
  });
  r.add(method::get, entry,
        [svc](request_context& ctx) { get_entry(ctx, svc); });
  r.add(method::del, entry,
        [svc](request_context& ctx) { delete_entry(ctx, svc); });
  r.add(method::get, "/cache/api/v1/stats",
        [svc](request_context& ctx) { read_stats(ctx, svc); });
}

} // namespace troupe::http::routes
