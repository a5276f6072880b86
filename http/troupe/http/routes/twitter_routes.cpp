// Twitter timelines and search: validation of each request into a service
// message, and of each reply into JSON. The service never sees HTTP.

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/fast_json.hpp"
#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/twitter/auth.hpp"
#include "troupe/twitter/messages.hpp"
#include "troupe/twitter/render.hpp"
#include "troupe/twitter/text.hpp"
#include "troupe/twitter/tweet_id.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::twitter;
using nlohmann::json;

constexpr size_t max_user_id = 32;
constexpr size_t max_name = 50;
constexpr size_t max_media = 4;
constexpr size_t max_media_id = 32;
constexpr uint64_t max_count = 200;
constexpr uint64_t max_search_limit = 1000;
constexpr uint64_t max_notes_limit = 100;

caf::error invalid(std::string why) {
  return runtime::make_error(runtime::errc::invalid_argument, std::move(why));
}

bool is_user_id(const std::string& id) {
  if (id.empty() || id.size() > max_user_id)
    return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

caf::expected<std::string> read_user_id(const json& body,
                                        std::string_view field) {
  auto id = required_string(body, field);
  if (id && !is_user_id(*id))
    return invalid(std::string{field} + " must be 1 to " +
                   std::to_string(max_user_id) + " characters of [A-Za-z0-9_]");
  return id;
}

/// Reads `count`-like query parameter `name` in 1..max (default `def`).
caf::expected<uint32_t> read_bound(request_context& ctx, std::string_view name,
                                   uint64_t def, uint64_t max) {
  auto text = ctx.query(name);
  if (!text)
    return static_cast<uint32_t>(def);
  auto n = parse_uint(*text);
  if (!n || *n < 1 || *n > max)
    return invalid(std::string{name} + " must be an integer from 1 to " +
                   std::to_string(max));
  return static_cast<uint32_t>(*n);
}

/// Reads the optional `max_id` (0: no bound).
caf::expected<uint64_t> read_max_id(request_context& ctx) {
  auto text = ctx.query("max_id");
  if (!text)
    return uint64_t{0};
  auto n = parse_uint(*text);
  if (!n || *n < 1)
    return invalid("max_id must be a tweet id (a positive integer)");
  return *n;
}

caf::expected<std::string> read_user_query(request_context& ctx) {
  auto user = ctx.query("user_id");
  if (!user || !is_user_id(*user))
    return invalid("query parameter user_id must be 1 to " +
                   std::to_string(max_user_id) + " characters of [A-Za-z0-9_]");
  return *user;
}

void create_user(request_context& ctx, const twitter::service& svc) {
  auto body = parse_json_object(ctx.body());
  if (!body)
    return ctx.respond_error(body.error());
  auto user = read_user_id(*body, "user_id");
  if (!user)
    return ctx.respond_error(user.error());
  auto name = required_string(*body, "name");
  if (!name)
    return ctx.respond_error(name.error());
  auto len = utf8_length(*name);
  if (!len || *len < 1 || *len > max_name)
    return ctx.respond_error(invalid("name must be valid UTF-8 of 1 to " +
                                     std::to_string(max_name) + " characters"));
  auto token = new_auth_token();
  ctx.request_then<ok_atom>(
      svc.route(*user),
      caf::make_message(user_atom::value, *user, std::move(*name),
                        hash_auth_token(token)),
      [&ctx, user = *user, token](ok_atom) {
        ctx.respond_json(201, json{{"user_id", user}, {"auth_token", token}});
      });
}

/// The fields every authenticated request carries.
struct credentials {
  std::string user;
  std::string token;
};

caf::expected<credentials> read_credentials(const json& body) {
  auto user = read_user_id(body, "user_id");
  if (!user)
    return std::move(user.error());
  auto token = required_string(body, "auth_token");
  if (!token)
    return std::move(token.error());
  return credentials{std::move(*user), std::move(*token)};
}

/// A parsed body and its credentials.
struct signed_body {
  json body;
  credentials who;
};

/// Parses the body of an authenticated request; responds 400 and returns
/// nothing if it is malformed or lacks its credentials.
std::optional<signed_body> read_signed(request_context& ctx) {
  auto body = parse_json_object(ctx.body());
  if (!body) {
    ctx.respond_error(body.error());
    return std::nullopt;
  }
  auto who = read_credentials(*body);
  if (!who) {
    ctx.respond_error(who.error());
    return std::nullopt;
  }
  return signed_body{std::move(*body), std::move(*who)};
}

caf::expected<bool> read_notify(const json& body) {
  auto i = body.find("notify");
  if (i == body.end() || i->is_null())
    return false;
  if (!i->is_boolean())
    return invalid("notify must be true or false");
  return i->get<bool>();
}

void follow(request_context& ctx, const twitter::service& svc, bool add) {
  auto in = read_signed(ctx);
  if (!in)
    return;
  auto& who = in->who;
  auto followee = read_user_id(in->body, "followee_id");
  if (!followee)
    return ctx.respond_error(followee.error());
  auto notify = read_notify(in->body);
  if (!notify)
    return ctx.respond_error(notify.error());
  auto msg = add ? caf::make_message(follow_atom::value, who.user,
                                     std::move(who.token), *followee, *notify)
                 : caf::make_message(unfollow_atom::value, who.user,
                                     std::move(who.token), *followee);
  ctx.request_then<ok_atom>(svc.route(who.user), std::move(msg),
                            [&ctx](ok_atom) { ctx.respond(204, ""); });
}

caf::expected<std::vector<std::string>> read_media(const json& body) {
  std::vector<std::string> out;
  auto i = body.find("media_ids");
  if (i == body.end() || i->is_null())
    return out;
  if (!i->is_array() || i->size() > max_media)
    return invalid("media_ids must be an array of at most " +
                   std::to_string(max_media) + " ids");
  for (const auto& id : *i) {
    if (id.is_string() && !id.get_ref<const std::string&>().empty() &&
        id.get_ref<const std::string&>().size() <= max_media_id &&
        utf8_length(id.get_ref<const std::string&>()))
      out.push_back(id.get<std::string>());
    else if (id.is_number_unsigned())
      out.push_back(std::to_string(id.get<uint64_t>()));
    else
      return invalid("each media id must be a non-negative integer or a "
                     "string of 1 to " +
                     std::to_string(max_media_id) + " bytes");
  }
  return out;
}

void post_tweet(request_context& ctx, const twitter::service& svc) {
  auto in = read_signed(ctx);
  if (!in)
    return;
  auto& who = in->who;
  auto status = required_string(in->body, "status");
  if (!status)
    return ctx.respond_error(status.error());
  auto len = utf8_length(*status);
  if (!len || *len < 1 || *len > max_status_length)
    return ctx.respond_error(invalid("status must be valid UTF-8 of 1 to " +
                                     std::to_string(max_status_length) +
                                     " characters"));
  auto media = read_media(in->body);
  if (!media)
    return ctx.respond_error(media.error());
  ctx.request_then<tweet>(
      svc.route(who.user),
      caf::make_message(post_atom::value, who.user, std::move(who.token),
                        std::move(*status), std::move(*media)),
      [&ctx](tweet& t) {
        std::string out;
        append_tweet(out, t);
        ctx.respond(
            201, std::move(out), json_content_type,
            {{"Location", "/twitter/api/v1/user_timeline?user_id=" + t.user_id +
                              "&count=1&max_id=" + std::to_string(t.id)}});
      });
}

template <class Atom>
void read_timeline(request_context& ctx, const twitter::service& svc) {
  auto user = read_user_query(ctx);
  if (!user)
    return ctx.respond_error(user.error());
  auto count = read_bound(ctx, "count", 20, max_count);
  if (!count)
    return ctx.respond_error(count.error());
  auto max_id = read_max_id(ctx);
  if (!max_id)
    return ctx.respond_error(max_id.error());
  ctx.request_then<std::string>(
      svc.route(*user), caf::make_message(Atom::value, *user, *count, *max_id),
      [&ctx](std::string& body) { ctx.respond(200, std::move(body)); });
}

void search(request_context& ctx, const twitter::service& svc) {
  auto query = ctx.query("query");
  if (!query)
    return ctx.respond_error(invalid("missing query parameter query"));
  auto terms = tokenize(*query);
  if (terms.empty())
    return ctx.respond_error(invalid("query has no search terms"));
  auto limit = read_bound(ctx, "limit", 20, max_search_limit);
  if (!limit)
    return ctx.respond_error(limit.error());
  ctx.request_then<tweet_list, bool>(
      svc.search,
      caf::make_message(search_atom::value, std::move(terms), *limit),
      [&ctx](tweet_list& xs, bool partial) {
        header_list extra;
        if (partial)
          extra.emplace_back("X-Partial", "true");
        ctx.respond(200, render_tweets(xs), json_content_type,
                    std::move(extra));
      });
}

void read_notifications(request_context& ctx, const twitter::service& svc) {
  auto user = read_user_query(ctx);
  if (!user)
    return ctx.respond_error(user.error());
  auto limit = read_bound(ctx, "limit", 20, max_notes_limit);
  if (!limit)
    return ctx.respond_error(limit.error());
  ctx.request_then<std::vector<notification>>(
      svc.route(*user), caf::make_message(notes_atom::value, *user, *limit),
      [&ctx](std::vector<notification>& xs) {
        auto out = json::array();
        for (auto& n : xs)
          out.push_back(
              json{{"created_at", created_at(n.tweet_id)},
                   {"kind", n.kind == static_cast<uint8_t>(note_kind::mention)
                                ? "mention"
                                : "tweet"},
                   {"tweet_id", std::to_string(n.tweet_id)},
                   {"from_user_id", std::move(n.from_user_id)}});
        ctx.respond(200, out.dump());
      });
}

} // namespace

void add_twitter(router& r, const twitter::service& svc) {
  const std::string base = "/twitter/api/v1/";
  r.add(method::post, base + "user",
        [svc](request_context& ctx) { create_user(ctx, svc); });
  r.add(method::post, base + "follow",
        [svc](request_context& ctx) { follow(ctx, svc, true); });
  r.add(method::del, base + "follow",
        [svc](request_context& ctx) { follow(ctx, svc, false); });
  r.add(method::post, base + "tweet",
        [svc](request_context& ctx) { post_tweet(ctx, svc); });
  r.add(method::get, base + "home_timeline", [svc](request_context& ctx) {
    read_timeline<home_timeline_atom>(ctx, svc);
  });
  r.add(method::get, base + "user_timeline", [svc](request_context& ctx) {
    read_timeline<user_timeline_atom>(ctx, svc);
  });
  r.add(method::get, base + "search",
        [svc](request_context& ctx) { search(ctx, svc); });
  r.add(method::get, base + "notifications",
        [svc](request_context& ctx) { read_notifications(ctx, svc); });
}

} // namespace troupe::http::routes
