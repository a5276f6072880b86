// The crawler and search: validation of seeds and queries into service
// messages. The service never sees HTTP.

#include <random>

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/crawler/messages.hpp"
#include "troupe/crawler/records.hpp"
#include "troupe/crawler/service.hpp"
#include "troupe/crawler/text.hpp"
#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/net/url.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::crawler;
using nlohmann::json;

constexpr size_t max_url_bytes = 2048;
constexpr uint64_t max_pages_limit = 10000000;
constexpr uint64_t max_depth_limit = 64;
constexpr uint64_t default_limit = 10;

caf::error invalid(std::string why) {
  return runtime::make_error(runtime::errc::invalid_argument, std::move(why));
}

std::string new_crawl_id() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(gen()));
  return buf;
}

/// The normalized seed URLs, or why they are not acceptable.
caf::expected<std::vector<std::string>> seed_urls(const json& body,
                                                  size_t max_seeds) {
  auto i = body.find("urls");
  if (i == body.end() || !i->is_array() || i->empty() || i->size() > max_seeds)
    return invalid("urls must be an array of 1 to " +
                   std::to_string(max_seeds) + " http(s) URLs");
  std::vector<std::string> out;
  for (const auto& x : *i) {
    if (!x.is_string())
      return invalid("urls must hold strings");
    const auto& text = x.get_ref<const std::string&>();
    auto u =
        text.size() <= max_url_bytes ? net::url::parse(text) : std::nullopt;
    if (!u)
      return invalid("not an http(s) URL of at most 2048 bytes: " +
                     text.substr(0, 200));
    out.push_back(u->to_string());
  }
  return out;
}

/// The authority an `allowed_hosts` entry names, normalized as URLs are.
std::optional<std::string> authority_of(const std::string& entry) {
  if (entry.empty() || entry.find_first_of("/?#@ ") != std::string::npos)
    return std::nullopt;
  auto u = net::url::parse("http://" + entry + "/");
  if (!u)
    return std::nullopt;
  return u->authority();
}

caf::error read_hosts(const json& body, const std::vector<std::string>& seeds,
                      crawl_limits& out) {
  auto i = body.find("allowed_hosts");
  if (i == body.end() || i->is_null()) {
    for (const auto& s : seeds)
      if (auto u = net::url::parse(s); u && !out.allows(u->authority()))
        out.allowed_hosts.push_back(u->authority());
    return {};
  }
  if (!i->is_array() || i->size() > 10000)
    return invalid("allowed_hosts must be an array of host or host:port "
                   "strings (\"*\": any host)");
  for (const auto& x : *i) {
    auto entry = x.is_string() ? x.get<std::string>() : std::string{};
    if (entry == "*") {
      out.any_host = true;
      continue;
    }
    auto a = authority_of(entry);
    if (!a)
      return invalid("allowed_hosts: not a host or host:port: " +
                     entry.substr(0, 200));
    out.allowed_hosts.push_back(*a);
  }
  return {};
}

caf::expected<crawl_limits> read_limits(const json& body,
                                        const std::vector<std::string>& seeds,
                                        const config::crawler_settings& cfg) {
  crawl_limits out;
  auto pages = optional_uint(body, "max_pages");
  if (!pages || (*pages && (**pages < 1 || **pages > max_pages_limit)))
    return invalid("max_pages must be an integer from 1 to 10000000");
  auto depth = optional_uint(body, "max_depth");
  if (!depth || (*depth && **depth > max_depth_limit))
    return invalid("max_depth must be an integer from 0 to 64");
  out.max_pages = pages->value_or(cfg.max_pages);
  out.max_depth = static_cast<uint32_t>(depth->value_or(cfg.max_depth));
  if (auto err = read_hosts(body, seeds, out))
    return err;
  return out;
}

void seeds(request_context& ctx, const crawler::service& svc) {
  auto body = parse_json_object(ctx.body());
  if (!body)
    return ctx.respond_error(body.error());
  auto urls = seed_urls(*body, svc.settings.max_seeds);
  if (!urls)
    return ctx.respond_error(urls.error());
  auto limits = read_limits(*body, *urls, svc.settings);
  if (!limits)
    return ctx.respond_error(limits.error());
  auto id = new_crawl_id();
  ctx.request_then<uint64_t, uint64_t>(
      svc.crawler->route(id),
      caf::make_message(seed_atom::value, id, persistence::encode(*limits),
                        std::move(*urls)),
      [&ctx, id](uint64_t queued, uint64_t known) {
        ctx.respond_json(
            202, json{{"crawl_id", id}, {"queued", queued}, {"known", known}});
      });
}

void status(request_context& ctx, const crawler::service& svc) {
  ctx.request_then<std::string>(
      svc.searcher, caf::make_message(stat_atom::value),
      [&ctx](std::string& body) { ctx.respond(200, std::move(body)); });
}

void search(request_context& ctx, const crawler::service& svc) {
  const auto& cfg = svc.search_settings;
  auto text = ctx.query("query");
  if (!text || text->size() > cfg.max_query_bytes || !query::parse(*text))
    return ctx.respond_error(
        invalid("query must hold at least one search term (not only "
                "exclusions) in at most " +
                std::to_string(cfg.max_query_bytes) + " bytes"));
  uint64_t limit = default_limit;
  if (auto given = ctx.query("limit")) {
    auto n = parse_uint(*given);
    if (!n || *n < 1 || *n > cfg.max_limit)
      return ctx.respond_error(invalid("limit must be an integer from 1 to " +
                                       std::to_string(cfg.max_limit)));
    limit = *n;
  }
  ctx.request_then<std::string, bool>(
      svc.searcher,
      caf::make_message(query_atom::value, *text, static_cast<uint32_t>(limit)),
      [&ctx](std::string& body, bool hit) {
        ctx.respond(200, std::move(body), json_content_type,
                    {{"X-Cache", hit ? "HIT" : "MISS"}});
      });
}

} // namespace

void add_crawler(router& r, const crawler::service& svc) {
  const auto* s = &svc;
  r.add(method::post, "/crawler/api/v1/seeds",
        [s](request_context& ctx) { seeds(ctx, *s); });
  r.add(method::get, "/crawler/api/v1/status",
        [s](request_context& ctx) { status(ctx, *s); });
  r.add(method::get, "/search/api/v1/search",
        [s](request_context& ctx) { search(ctx, *s); });
}

} // namespace troupe::http::routes
