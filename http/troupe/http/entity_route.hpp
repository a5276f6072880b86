#pragma once

// A custom HTTP route that maps requests to an entity message, for programs
// that embed troupe with its HTTP edge (examples/custom_route):
//
//   http::add_entity_route<int64_t>(
//       routes, http::method::post, "/counter/api/v1/increment", counters,
//       [](http::request_context& ctx) -> std::optional<http::entity_call> {
//         auto body = http::parse_json_object(ctx.body()); // json_util.hpp
//         if (!body) {
//           ctx.respond_error(body.error());                // 400
//           return std::nullopt;
//         }
//         ...
//         return http::entity_call{key, caf::make_message(add_atom::value,
//         by)};
//       },
//       [](const std::string& key, int64_t& value) {
//         return nlohmann::json{{"key", key}, {"value", value}};
//       });
//
// Errors of the entity (unavailable, overloaded, no handler, timeout) become
// the usual JSON error responses (docs/api.md).

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include <caf/message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/json_util.hpp"
#include "troupe/http/request_context.hpp"
#include "troupe/http/router.hpp"
#include "troupe/runtime/entity.hpp"

namespace troupe::http {

/// Which entity a request addresses, and the message it sends there.
struct entity_call {
  std::string key;
  caf::message msg;
};

/// Registers `verb path`: `to_call` turns the request into an entity call
/// (or answers the request itself, e.g. 400, and returns nullopt); the
/// entity's reply, of type `R`, is answered as `200` with `to_json(key,
/// reply)`.
template <class R, class State>
void add_entity_route(
    router& r, method verb, std::string path, runtime::entity_ref<State> ref,
    std::function<std::optional<entity_call>(request_context&)> to_call,
    std::function<nlohmann::json(const std::string&, R&)> to_json) {
  r.add(verb, std::move(path),
        [ref, to_call = std::move(to_call),
         to_json = std::move(to_json)](request_context& ctx) {
          auto call = to_call(ctx);
          if (!call)
            return;
          auto msg = runtime::entity_ref<State>::envelope(call->key,
                                                          std::move(call->msg));
          ctx.request_then<R>(ref.region, std::move(msg),
                              [&ctx, key = call->key, to_json](R& reply) {
                                ctx.respond_json(200, to_json(key, reply));
                              });
        });
}

} // namespace troupe::http
