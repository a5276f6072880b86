// Social graph: validation of each request into a service message, and of
// each reply into JSON. The service never sees HTTP.

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/http/routes/social_import.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/social/edge_list.hpp"
#include "troupe/social/messages.hpp"
#include "troupe/twitter/text.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::social;
using nlohmann::json;

constexpr size_t max_name = 100;
constexpr uint64_t default_hops = 6;
constexpr uint64_t max_hops = 10;
const char* id_rule = " must be a person id (an integer from 1 to 4294967295)";

caf::error invalid(std::string why) {
  return runtime::make_error(runtime::errc::invalid_argument, std::move(why));
}

caf::expected<person_id> read_id(const json& body, std::string_view field) {
  auto n = required_uint(body, field);
  if (!n)
    return std::move(n.error());
  if (*n < 1 || *n > UINT32_MAX)
    return invalid(std::string{field} + id_rule);
  return static_cast<person_id>(*n);
}

caf::expected<person_id> read_id_query(request_context& ctx,
                                       std::string_view name) {
  auto text = ctx.query(name);
  auto id = text ? parse_person_id(*text) : 0;
  if (id == 0)
    return invalid("query parameter " + std::string{name} + id_rule);
  return id;
}

std::string person_link(person_id id) {
  return "/social/api/v1/person?person_id=" + std::to_string(id);
}

json person_json(const person_view& p) {
  return json{{"person_id", p.id}, {"name", p.name}, {"friends", p.friends}};
}

void create_person(request_context& ctx, const social::service& svc) {
  auto body = parse_json_object(ctx.body());
  if (!body)
    return ctx.respond_error(body.error());
  auto id = read_id(*body, "person_id");
  if (!id)
    return ctx.respond_error(id.error());
  auto name = required_string(*body, "name");
  if (!name)
    return ctx.respond_error(name.error());
  auto len = twitter::utf8_length(*name);
  if (!len || *len < 1 || *len > max_name)
    return ctx.respond_error(invalid("name must be valid UTF-8 of 1 to " +
                                     std::to_string(max_name) + " characters"));
  ctx.request_then<person_view>(
      svc.route(*id), caf::make_message(person_atom::value, *id, *name),
      [&ctx](person_view& p) { ctx.respond_json(201, person_json(p)); });
}

void get_person(request_context& ctx, const social::service& svc) {
  auto id = read_id_query(ctx, "person_id");
  if (!id)
    return ctx.respond_error(id.error());
  ctx.request_then<person_view>(
      svc.route(*id), caf::make_message(get_atom::value, *id),
      [&ctx](person_view& p) { ctx.respond_json(200, person_json(p)); });
}

/// Reads `{"person_id","friend_id"}` of a friendship request.
caf::expected<std::pair<person_id, person_id>>
read_friendship(request_context& ctx) {
  auto body = parse_json_object(ctx.body());
  if (!body)
    return std::move(body.error());
  auto a = read_id(*body, "person_id");
  if (!a)
    return std::move(a.error());
  auto b = read_id(*body, "friend_id");
  if (!b)
    return std::move(b.error());
  if (*a == *b)
    return invalid("person_id and friend_id must differ (a person cannot "
                   "befriend themselves)");
  return std::make_pair(*a, *b);
}

/// Checks that b exists, then stores a's half (404 if a is unknown), then
/// b's. People are never deleted, so nothing stored needs taking back; a
/// request that fails between the halves leaves a's half, which a retry
/// completes.
void add_friendship(request_context& ctx, const social::service& svc) {
  auto ids = read_friendship(ctx);
  if (!ids)
    return ctx.respond_error(ids.error());
  auto [a, b] = *ids;
  auto link_b = [&ctx, &svc, a = a, b = b](ok_atom) {
    ctx.request_then<ok_atom>(svc.route(b),
                              caf::make_message(link_atom::value, b, a),
                              [&ctx](ok_atom) { ctx.respond(204, {}); });
  };
  ctx.request_then<person_view>(
      svc.route(b), caf::make_message(get_atom::value, b),
      [&ctx, &svc, a = a, b = b, link_b](person_view&) {
        ctx.request_then<ok_atom>(
            svc.route(a), caf::make_message(link_atom::value, a, b), link_b);
      });
}

void remove_friendship(request_context& ctx, const social::service& svc) {
  auto ids = read_friendship(ctx);
  if (!ids)
    return ctx.respond_error(ids.error());
  auto [a, b] = *ids;
  ctx.request_then<ok_atom>(
      svc.route(a), caf::make_message(unlink_atom::value, a, b),
      [&ctx, &svc, a = a, b = b](ok_atom) {
        ctx.request_then<ok_atom>(svc.route(b),
                                  caf::make_message(unlink_atom::value, b, a),
                                  [&ctx](ok_atom) { ctx.respond(204, {}); });
      });
}

caf::expected<uint32_t> read_hops(request_context& ctx) {
  auto text = ctx.query("max_hops");
  if (!text)
    return static_cast<uint32_t>(default_hops);
  auto n = parse_uint(*text);
  if (!n || *n < 1 || *n > max_hops)
    return invalid("max_hops must be an integer from 1 to " +
                   std::to_string(max_hops));
  return static_cast<uint32_t>(*n);
}

void friend_search(request_context& ctx, const social::service& svc) {
  auto source = read_id_query(ctx, "source_id");
  if (!source)
    return ctx.respond_error(source.error());
  auto target = read_id_query(ctx, "person_id");
  if (!target)
    return ctx.respond_error(target.error());
  auto hops = read_hops(ctx);
  if (!hops)
    return ctx.respond_error(hops.error());
  ctx.request_then<std::vector<person_view>>(
      svc.spawn_search(),
      caf::make_message(search_atom::value, *source, *target, *hops),
      [&ctx](std::vector<person_view>& path) {
        auto out = json::array();
        for (const auto& p : path)
          out.push_back(json{{"person_id", p.id},
                             {"name", p.name},
                             {"link", person_link(p.id)}});
        ctx.respond_json(200, out);
      });
}

} // namespace

void add_social(router& r, const social::service& svc) {
  const auto* s = &svc;
  r.add(method::post, "/social/api/v1/person",
        [s](request_context& ctx) { create_person(ctx, *s); });
  r.add(method::get, "/social/api/v1/person",
        [s](request_context& ctx) { get_person(ctx, *s); });
  r.add(method::post, "/social/api/v1/friendship",
        [s](request_context& ctx) { add_friendship(ctx, *s); });
  r.add(method::del, "/social/api/v1/friendship",
        [s](request_context& ctx) { remove_friendship(ctx, *s); });
  r.add(method::get, "/social/api/v1/friend_search",
        [s](request_context& ctx) { friend_search(ctx, *s); });
  r.add_streaming(
      method::post, "/social/api/v1/import",
      [s](request_context& ctx) { start_import(ctx, *s); },
      s->settings.max_import_bytes);
}

} // namespace troupe::http::routes
