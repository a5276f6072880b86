// Sales rank: the streamed ingest of sales and the rankings. The service
// never sees HTTP.

#include <caf/make_message.hpp>

#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/http/routes/salesrank_ingest.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/salesrank/messages.hpp"
#include "troupe/salesrank/sale_batch.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::salesrank;

constexpr uint64_t default_limit = 10;

caf::error invalid(std::string why) {
  return runtime::make_error(runtime::errc::invalid_argument, std::move(why));
}

void popular(request_context& ctx, const salesrank::service& svc) {
  auto category = ctx.query("category_id");
  if (!category || !valid_id(*category))
    return ctx.respond_error(
        invalid("query parameter category_id must be 1 to 64 characters of "
                "[A-Za-z0-9_.:-]"));
  uint64_t limit = default_limit;
  if (auto text = ctx.query("limit")) {
    auto n = parse_uint(*text);
    if (!n || *n < 1 || *n > svc.settings.top_size)
      return ctx.respond_error(invalid("limit must be an integer from 1 to " +
                                       std::to_string(svc.settings.top_size)));
    limit = *n;
  }
  ctx.request_then<std::string>(
      svc.route(*category),
      caf::make_message(popular_atom::value, *category,
                        static_cast<uint32_t>(limit)),
      [&ctx](std::string& body) { ctx.respond(200, std::move(body)); });
}

} // namespace

void add_salesrank(router& r, const salesrank::service& svc) {
  const auto* s = &svc;
  r.add(method::get, "/salesrank/api/v1/popular",
        [s](request_context& ctx) { popular(ctx, *s); });
  r.add_streaming(
      method::post, "/salesrank/api/v1/sales",
      [s](request_context& ctx) { start_sales_ingest(ctx, *s); },
      s->settings.max_ingest_bytes);
}

} // namespace troupe::http::routes
