// Pastebin and short links: validation of each request into a service
// message, and of each reply into JSON. The service never sees HTTP.

#include <ctime>

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/fast_json.hpp"
#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/http/routes/url_check.hpp"
#include "troupe/pastebin/messages.hpp"
#include "troupe/pastebin/shortlink.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::pastebin;
using nlohmann::json;

/// Expirations beyond 100 years are typos, not intentions.
constexpr uint64_t max_expiration_minutes = 100ull * 366 * 24 * 60;
constexpr uint64_t max_stats_limit = 1000;

void bad_request(request_context& ctx, const std::string& why) {
  ctx.respond_error(400, "invalid_argument", why);
}

std::string format_time(int64_t t) {
  auto secs = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf, n);
}

bool is_month(const std::string& m) {
  if (m.size() != 7 || m[4] != '-')
    return false;
  for (size_t i : {0, 1, 2, 3, 5, 6})
    if (m[i] < '0' || m[i] > '9')
      return false;
  auto month = (m[5] - '0') * 10 + (m[6] - '0');
  return month >= 1 && month <= 12;
}

/// Checks the optional expiration; responds 400 and returns false if bad.
bool read_expiration(request_context& ctx, std::optional<uint64_t> minutes,
                     uint32_t& out) {
  if (minutes.value_or(0) > max_expiration_minutes) {
    bad_request(ctx, "expiration_length_in_minutes must be at most " +
                         std::to_string(max_expiration_minutes));
    return false;
  }
  out = static_cast<uint32_t>(minutes.value_or(0));
  return true;
}

/// Sends a validated paste or URL to its shard and answers 201.
void create(request_context& ctx, const pastebin::service& svc,
            paste_input in) {
  in.client = ctx.client_address();
  in.created_at = system_now();
  bool is_url = in.kind == static_cast<uint8_t>(paste_kind::url);
  auto first = svc.create(std::move(in));
  ctx.request_then<std::string>(
      first.dest, std::move(first.msg), [&ctx, is_url](std::string& link) {
        json body{{"shortlink", link}};
        if (is_url)
          body["short_url"] = "/s/" + link;
        ctx.respond(201, body.dump(), json_content_type,
                    {{"Location",
                      is_url ? "/s/" + link
                             : "/pastebin/api/v1/paste?shortlink=" + link}});
      });
}

void create_paste(request_context& ctx, const pastebin::service& svc,
                  size_t max_bytes) {
  auto body = read_text_and_number(ctx.body(), "paste_contents",
                                   "expiration_length_in_minutes");
  if (!body)
    return ctx.respond_error(body.error());
  if (body->text.size() > max_bytes)
    return ctx.respond_error(413, "payload_too_large",
                             "paste_contents exceeds " +
                                 std::to_string(max_bytes) + " bytes");
  paste_input in;
  if (!read_expiration(ctx, body->number, in.expiration_minutes))
    return;
  in.contents = std::move(body->text);
  create(ctx, svc, std::move(in));
}

void create_url(request_context& ctx, const pastebin::service& svc,
                size_t max_bytes) {
  auto body =
      read_text_and_number(ctx.body(), "url", "expiration_length_in_minutes");
  if (!body)
    return ctx.respond_error(body.error());
  const auto& url = body->text;
  if (url.size() > max_bytes)
    return bad_request(ctx,
                       "url exceeds " + std::to_string(max_bytes) + " bytes");
  if (auto why = check_redirect_url(url); !why.empty())
    return bad_request(ctx, why);
  paste_input in;
  if (!read_expiration(ctx, body->number, in.expiration_minutes))
    return;
  in.contents = std::move(body->text);
  in.kind = static_cast<uint8_t>(paste_kind::url);
  create(ctx, svc, std::move(in));
}

void read_paste(request_context& ctx, const pastebin::service& svc) {
  auto link = ctx.query("shortlink");
  if (!link)
    return bad_request(ctx, "missing query parameter shortlink");
  if (!is_shortlink(*link))
    return bad_request(ctx, "shortlink must be 7 characters of [a-zA-Z0-9]");
  auto kind = static_cast<uint8_t>(paste_kind::paste);
  ctx.request_then<paste_view>(svc.route(*link),
                               caf::make_message(get_atom::value, *link, kind),
                               [&ctx](paste_view& v) {
                                 // The hot read path: written directly, not
                                 // through a JSON DOM.
                                 std::string body;
                                 body.reserve(v.contents.size() + 128);
                                 body += "{\"shortlink\":";
                                 append_json_string(body, v.shortlink);
                                 body += ",\"paste_contents\":";
                                 append_json_string(body, v.contents);
                                 body += ",\"created_at\":\"";
                                 body += format_time(v.created_at);
                                 body += "\",\"expiration_length_in_minutes\":";
                                 body += std::to_string(v.expiration_minutes);
                                 body += '}';
                                 ctx.respond(200, std::move(body));
                               });
}

void follow_link(request_context& ctx, const pastebin::service& svc) {
  const auto& link = ctx.remainder();
  if (!is_shortlink(link))
    return ctx.respond_error(404, "not_found", "no short link " + link);
  auto kind = static_cast<uint8_t>(paste_kind::url);
  ctx.request_then<paste_view>(
      svc.route(link), caf::make_message(get_atom::value, link, kind),
      [&ctx](paste_view& v) { ctx.redirect(301, std::move(v.contents)); });
}

void read_stats(request_context& ctx, const caf::actor& front) {
  auto month = ctx.query("month");
  if (!month || !is_month(*month))
    return bad_request(ctx, "month must be given as YYYY-MM");
  auto link = ctx.query("shortlink").value_or("");
  if (!link.empty() && !is_shortlink(link))
    return bad_request(ctx, "shortlink must be 7 characters of [a-zA-Z0-9]");
  uint64_t limit = 10;
  if (auto text = ctx.query("limit")) {
    auto parsed = parse_uint(*text);
    if (!parsed || *parsed < 1 || *parsed > max_stats_limit)
      return bad_request(ctx, "limit must be an integer from 1 to " +
                                  std::to_string(max_stats_limit));
    limit = *parsed;
  }
  ctx.request_then<std::vector<stats_row>>(
      front,
      caf::make_message(stats_atom::value, *month, link,
                        static_cast<uint32_t>(limit)),
      [&ctx](std::vector<stats_row>& rows) {
        auto body = json::array();
        for (auto& row : rows)
          body.push_back(json{{"shortlink", std::move(row.shortlink)},
                              {"month", std::move(row.month)},
                              {"hits", row.hits}});
        ctx.respond(200, body.dump());
      });
}

} // namespace

void add_pastebin(router& r, const pastebin::service& svc,
                  const config::node_config& cfg) {
  auto front = svc.front;
  auto max_paste = cfg.pastebin.max_paste_bytes;
  auto max_url = cfg.pastebin.max_url_bytes;
  r.add(method::post, "/pastebin/api/v1/paste",
        [svc, max_paste](request_context& ctx) {
          create_paste(ctx, svc, max_paste);
        });
  r.add(method::get, "/pastebin/api/v1/paste",
        [svc](request_context& ctx) { read_paste(ctx, svc); });
  r.add(method::get, "/pastebin/api/v1/stats",
        [front](request_context& ctx) { read_stats(ctx, front); });
  r.add(
      method::post, "/pastebin/api/v1/url",
      [svc, max_url](request_context& ctx) { create_url(ctx, svc, max_url); });
  r.add_prefix(
      method::get, "/s/",
      [svc](request_context& ctx) { follow_link(ctx, svc); }, "/s/:shortlink");
}

} // namespace troupe::http::routes
