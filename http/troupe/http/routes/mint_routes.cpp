// Mint: validation of each request into a service message, and of each
// reply into JSON. The service never sees HTTP; passwords are sealed here,
// at the edge, before they travel anywhere.

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/routes/mint_import.hpp"
#include "troupe/http/routes/routes.hpp"
#include "troupe/http/routes/shard_message.hpp"
#include "troupe/mint/messages.hpp"
#include "troupe/mint/money.hpp"
#include "troupe/mint/shard_state.hpp"
#include "troupe/mint/txn_line.hpp"
#include "troupe/net/address_policy.hpp"
#include "troupe/net/url.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/timestamp.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::mint;
using nlohmann::json;

constexpr uint64_t default_limit = 100;
constexpr uint64_t default_notes = 20;
constexpr uint64_t max_limit = 1000;
constexpr size_t max_url_bytes = 2048;
constexpr size_t max_login_bytes = 256;
constexpr size_t max_password_bytes = 1024;

caf::error invalid(std::string why) {
  return runtime::make_error(runtime::errc::invalid_argument, std::move(why));
}

caf::error not_found(std::string why) {
  return runtime::make_error(runtime::errc::not_found, std::move(why));
}

caf::expected<std::string> user_field(const json& body) {
  auto user = required_string(body, "user_id");
  if (user && !valid_user_id(*user))
    return invalid("user_id must be 1 to 64 characters of [A-Za-z0-9_.:@-]");
  return user;
}

caf::expected<std::string> user_query(request_context& ctx) {
  auto user = ctx.query("user_id");
  if (!user || !valid_user_id(*user))
    return invalid("query parameter user_id must be 1 to 64 characters of "
                   "[A-Za-z0-9_.:@-]");
  return *user;
}

/// Reads `month=YYYY-MM` (default: the current UTC month).
caf::expected<int32_t> month_query(request_context& ctx,
                                   const mint::service& svc) {
  auto text = ctx.query("month");
  if (!text)
    return month_of(svc.now());
  auto& m = *text;
  auto y =
      m.size() == 7 && m[4] == '-' ? parse_uint(m.substr(0, 4)) : std::nullopt;
  auto mo = y ? parse_uint(m.substr(5, 2)) : std::nullopt;
  if (!y || !mo || *y < 1970 || *mo < 1 || *mo > 12)
    return invalid("query parameter month must be YYYY-MM");
  return static_cast<int32_t>(*y * 100 + *mo);
}

caf::expected<uint32_t> limit_query(request_context& ctx, uint64_t fallback) {
  auto text = ctx.query("limit");
  if (!text)
    return static_cast<uint32_t>(fallback);
  auto n = parse_uint(*text);
  if (!n || *n < 1 || *n > max_limit)
    return invalid("limit must be an integer from 1 to 1000");
  return static_cast<uint32_t>(*n);
}

/// Reads a non-negative amount of money (JSON number or decimal string).
caf::expected<int64_t> money_field(const json& body, const char* name) {
  auto i = body.find(name);
  std::optional<int64_t> cents;
  if (i != body.end() && i->is_string())
    cents = parse_cents(i->get_ref<const std::string&>());
  else if (i != body.end() && i->is_number())
    cents = parse_cents(i->dump());
  if (!cents || *cents < 0)
    return invalid(std::string{name} +
                   " must be a non-negative amount with "
                   "at most two decimal places (a number or a string)");
  return *cents;
}

/// Sends `msg` to user shard `idx`, wherever it runs.
void to_shard(request_context& ctx, const mint::service& svc, uint16_t idx,
              caf::message msg, std::function<void(std::string&)> ok) {
  auto [dest, routed] = shard_message(svc, idx, std::move(msg));
  ctx.request_then<std::string>(dest, std::move(routed), std::move(ok));
}

std::optional<uint16_t> id_shard(const std::string& id,
                                 const mint::service& svc) {
  auto idx = shard_of_id(id);
  if (!idx || *idx >= svc.settings.shards)
    return std::nullopt;
  return idx;
}

caf::error check_account_url(const std::string& text,
                             const mint::service& svc) {
  std::string why;
  auto u =
      text.size() <= max_url_bytes ? net::url::parse(text, &why) : std::nullopt;
  if (!u)
    return invalid("account_url must be an absolute http(s) URL of at most "
                   "2048 bytes" +
                   (why.empty() ? "" : ": " + why));
  if (u->target.find('?') != std::string::npos)
    return invalid("account_url must not have a query");
  if (!svc.hosts.host_allowed(u->host, u->port))
    return invalid("account_url: " + u->authority() +
                   " is not in mint.institution_hosts");
  if (!svc.hosts.listed() && net::is_address(u->host) &&
      !net::is_public_address(u->host))
    return invalid("account_url: " + u->host + " is not a public address");
  return {};
}

bool printable(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max)
    return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f)
      return false;
  return true;
}

void link(request_context& ctx, const mint::service& svc) {
  auto body = parse_json_object(ctx.body());
  if (!body)
    return ctx.respond_error(body.error());
  auto user = user_field(*body);
  auto url = required_string(*body, "account_url");
  auto login = required_string(*body, "account_login");
  auto password = required_string(*body, "account_password");
  for (auto* e : {&user, &url, &login, &password})
    if (!*e)
      return ctx.respond_error(e->error());
  if (auto err = check_account_url(*url, svc))
    return ctx.respond_error(err);
  if (!printable(*login, max_login_bytes) ||
      !printable(*password, max_password_bytes))
    return ctx.respond_error(
        invalid("account_login (at most 256 bytes) and account_password (at "
                "most 1024 bytes) must be non-empty, without control "
                "characters"));
  if (!svc.key)
    return ctx.respond_error(runtime::make_error(
        runtime::errc::unavailable, "no key for account passwords is "
                                    "configured on this node"));
  auto sealed = seal(*svc.key, *password, *user);
  ctx.request_then<std::string, std::string>(
      svc.route(*user),
      caf::make_message(link_atom::value, *user, *url, *login,
                        std::move(sealed)),
      [&ctx](std::string& id, std::string& job) {
        ctx.respond_json(201, json{{"account_id", id}, {"job_id", job}});
      });
}

void refresh(request_context& ctx, const mint::service& svc) {
  auto body = parse_json_object(ctx.body());
  if (!body)
    return ctx.respond_error(body.error());
  auto id = required_string(*body, "account_id");
  if (!id)
    return ctx.respond_error(id.error());
  auto idx = id_shard(*id, svc);
  if (!idx)
    return ctx.respond_error(not_found("no account " + *id));
  to_shard(ctx, svc, *idx, caf::make_message(refresh_atom::value, *id),
           [&ctx](std::string& job) {
             ctx.respond_json(202, json{{"job_id", job}});
           });
}

void job(request_context& ctx, const mint::service& svc) {
  auto id = ctx.query("job_id");
  if (!id)
    return ctx.respond_error(invalid("query parameter job_id is required"));
  auto idx = id_shard(*id, svc);
  if (!idx)
    return ctx.respond_error(not_found("no job " + *id));
  to_shard(ctx, svc, *idx, caf::make_message(job_atom::value, *id),
           [&ctx](std::string& body) { ctx.respond(200, std::move(body)); });
}

template <class Atom>
void user_month_read(request_context& ctx, const mint::service& svc) {
  auto user = user_query(ctx);
  auto month = user ? month_query(ctx, svc) : caf::expected<int32_t>{0};
  if (!user || !month)
    return ctx.respond_error(!user ? user.error() : month.error());
  ctx.request_then<std::string>(
      svc.route(*user), caf::make_message(Atom::value, *user, *month),
      [&ctx](std::string& body) { ctx.respond(200, std::move(body)); });
}

void transactions(request_context& ctx, const mint::service& svc) {
  auto user = user_query(ctx);
  auto month = user ? month_query(ctx, svc) : caf::expected<int32_t>{0};
  auto limit =
      month ? limit_query(ctx, default_limit) : caf::expected<uint32_t>{0u};
  if (!user || !month || !limit)
    return ctx.respond_error(!user    ? user.error()
                             : !month ? month.error()
                                      : limit.error());
  ctx.request_then<std::string>(
      svc.route(*user),
      caf::make_message(txns_atom::value, *user, *month, *limit),
      [&ctx](std::string& body) { ctx.respond(200, std::move(body)); });
}

void notifications(request_context& ctx, const mint::service& svc) {
  auto user = user_query(ctx);
  auto limit =
      user ? limit_query(ctx, default_notes) : caf::expected<uint32_t>{0u};
  if (!user || !limit)
    return ctx.respond_error(!user ? user.error() : limit.error());
  ctx.request_then<std::string>(
      svc.route(*user), caf::make_message(notes_atom::value, *user, *limit),
      [&ctx](std::string& body) { ctx.respond(200, std::move(body)); });
}

void set_category(request_context& ctx, const mint::service& svc) {
  auto body = parse_json_object(ctx.body());
  if (!body)
    return ctx.respond_error(body.error());
  auto user = user_field(*body);
  auto id = user ? required_uint(*body, "transaction_id")
                 : caf::expected<uint64_t>{0};
  auto name = id ? required_string(*body, "category")
                 : caf::expected<std::string>{std::string{}};
  if (!user || !id || !name)
    return ctx.respond_error(!user ? user.error()
                             : !id ? id.error()
                                   : name.error());
  if (*id < 1 || *id > UINT32_MAX)
    return ctx.respond_error(
        not_found("no transaction " + std::to_string(*id)));
  auto c = parse_category(*name);
  if (!c || *c == category::uncategorized)
    return ctx.respond_error(invalid("category must be one of housing, food, "
                                     "groceries, gas, transport, shopping, "
                                     "utilities, health, entertainment, "
                                     "travel"));
  auto voter = *user + "/" + std::to_string(*id);
  const auto* s = &svc;
  auto cat = *name;
  ctx.request_then<std::string>(
      svc.route(*user),
      caf::make_message(set_category_atom::value, *user,
                        static_cast<uint32_t>(*id), *name),
      [&ctx, s, voter, cat](std::string& key) {
        if (key.empty())
          return ctx.respond(204, "");
        // The override also votes for the seller's category.
        ctx.request(s->route_vote(key),
                    caf::make_message(vote_atom::value, key, voter, cat),
                    [&ctx](caf::expected<caf::message> r) {
                      if (!r)
                        return ctx.respond_error(r.error());
                      ctx.respond(204, "");
                    });
      });
}

void set_income(request_context& ctx, const mint::service& svc) {
  auto body = parse_json_object(ctx.body());
  if (!body)
    return ctx.respond_error(body.error());
  auto user = user_field(*body);
  auto cents =
      user ? money_field(*body, "monthly_income") : caf::expected<int64_t>{0};
  if (!user || !cents)
    return ctx.respond_error(!user ? user.error() : cents.error());
  ctx.request(svc.route(*user),
              caf::make_message(income_atom::value, *user, *cents),
              [&ctx](caf::expected<caf::message> r) {
                if (!r)
                  return ctx.respond_error(r.error());
                ctx.respond(204, "");
              });
}

void set_budget(request_context& ctx, const mint::service& svc) {
  auto body = parse_json_object(ctx.body());
  if (!body)
    return ctx.respond_error(body.error());
  auto user = user_field(*body);
  auto name = user ? required_string(*body, "category")
                   : caf::expected<std::string>{std::string{}};
  auto cents = name ? money_field(*body, "amount") : caf::expected<int64_t>{0};
  if (!user || !name || !cents)
    return ctx.respond_error(!user   ? user.error()
                             : !name ? name.error()
                                     : cents.error());
  auto c = parse_category(*name);
  if (!c || *c == category::uncategorized)
    return ctx.respond_error(invalid("category must be a budget category"));
  ctx.request(svc.route(*user),
              caf::make_message(budget_set_atom::value, *user, *name, *cents),
              [&ctx](caf::expected<caf::message> r) {
                if (!r)
                  return ctx.respond_error(r.error());
                ctx.respond(204, "");
              });
}

} // namespace

void add_mint(router& r, const mint::service& svc) {
  const auto* s = &svc;
  auto add = [&r, s](method m, const char* path,
                     void (*f)(request_context&, const mint::service&)) {
    r.add(m, path, [s, f](request_context& ctx) { f(ctx, *s); });
  };
  add(method::post, "/mint/api/v1/account", link);
  add(method::post, "/mint/api/v1/account/refresh", refresh);
  add(method::get, "/mint/api/v1/job", job);
  add(method::get, "/mint/api/v1/transactions", transactions);
  add(method::put, "/mint/api/v1/transaction/category", set_category);
  add(method::get, "/mint/api/v1/spending", user_month_read<spend_atom>);
  add(method::put, "/mint/api/v1/income", set_income);
  add(method::put, "/mint/api/v1/budget", set_budget);
  add(method::get, "/mint/api/v1/budget", user_month_read<budget_get_atom>);
  add(method::get, "/mint/api/v1/notifications", notifications);
  r.add_streaming(
      method::post, "/mint/api/v1/transactions/import",
      [s](request_context& ctx) { start_mint_import(ctx, *s); },
      s->settings.max_import_bytes);
}

} // namespace troupe::http::routes
