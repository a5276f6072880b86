#include "troupe/http/request_context.hpp"

#include <strings.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "troupe/http/bridge.hpp"
#include "troupe/http/error_mapping.hpp"

namespace troupe::http {

request_context::request_context(
    http_request req, std::string path,
    std::vector<std::pair<std::string, std::string>> query,
    std::string remainder, std::string route_name,
    std::shared_ptr<response_sink> sink, bridge* br,
    std::chrono::milliseconds request_timeout, bool streaming,
    std::shared_ptr<body_source> body)
    : req_(std::move(req)), path_(std::move(path)), query_(std::move(query)),
      remainder_(std::move(remainder)), route_name_(std::move(route_name)),
      sink_(std::move(sink)), bridge_(br), request_timeout_(request_timeout),
      streaming_(streaming), body_source_(std::move(body)) {
  // nop
}

request_context::~request_context() {
  if (!responded_.load())
    respond_error(500, "internal", "handler did not respond");
}

std::optional<std::string> request_context::query(std::string_view key) const {
  for (const auto& [k, v] : query_)
    if (k == key)
      return v;
  return std::nullopt;
}

std::optional<std::string>
request_context::header(std::string_view name) const {
  for (const auto& [k, v] : req_.headers)
    if (k.size() == name.size() &&
        strncasecmp(k.data(), name.data(), k.size()) == 0)
      return v;
  return std::nullopt;
}

void request_context::read_body(size_t max_bytes, chunk_fn f) {
  if (!streaming_ || body_served_)
    return f({}, body_chunk::failed);
  if (!body_source_) {
    // No connection (a handler under test): serve `body()` in pieces.
    max_bytes = std::max<size_t>(max_bytes, 1);
    auto offset = static_cast<size_t>(body_bytes_read_);
    auto n = std::min(max_bytes, req_.body.size() - offset);
    auto piece = req_.body.substr(offset, n);
    body_bytes_read_ += n;
    body_served_ = offset + n == req_.body.size();
    return f(std::move(piece),
             body_served_ ? body_chunk::last : body_chunk::more);
  }
  // Like `request`, the pending read keeps the context alive.
  body_source_->read(max_bytes, [self = shared_from_this(), f = std::move(f)](
                                    std::string data, body_chunk state) {
    self->body_bytes_read_ += data.size();
    f(std::move(data), state);
  });
}

void request_context::respond(unsigned status, std::string body,
                              std::string content_type,
                              header_list extra_headers) {
  if (responded_.exchange(true))
    return;
  http_response res;
  res.status = status;
  res.body = std::move(body);
  res.content_type = std::move(content_type);
  res.headers = std::move(extra_headers);
  sink_->deliver(std::move(res));
}

void request_context::respond_json(unsigned status,
                                   const nlohmann::json& body) {
  respond(status,
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void request_context::respond_error(const caf::error& err) {
  auto e = map_error(err);
  respond(e.status, error_body(e.code, e.message), json_content_type,
          std::move(e.headers));
}

void request_context::respond_error(unsigned status, std::string_view code,
                                    std::string_view message) {
  respond(status, error_body(code, message));
}

void request_context::redirect(unsigned status, std::string location) {
  header_list hdrs;
  hdrs.emplace_back("Location", std::move(location));
  respond(status, {}, "text/plain; charset=utf-8", std::move(hdrs));
}

void request_context::request_impl(caf::strong_actor_ptr dest, caf::message msg,
                                   reply_fn on_reply) {
  // The bridge keeps the context alive until the callback ran, so handlers
  // may capture `ctx` by reference.
  bridge_->request(dest, std::move(msg), request_timeout_, std::move(on_reply),
                   shared_from_this());
}

} // namespace troupe::http
