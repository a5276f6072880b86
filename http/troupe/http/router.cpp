#include "troupe/http/router.hpp"

#include <algorithm>
#include <exception>

#include "troupe/http/error_mapping.hpp"
#include "troupe/http/request_context.hpp"

namespace troupe::http {

namespace {

constexpr std::string_view unmatched = "unmatched";

void reply_error(response_sink& sink, unsigned status, std::string_view code,
                 std::string_view message, header_list headers = {}) {
  http_response res;
  res.status = status;
  res.content_type = json_content_type;
  res.body = error_body(code, message);
  res.headers = std::move(headers);
  sink.deliver(std::move(res));
}

} // namespace

void router::add(method verb, std::string path, handler fn, std::string name) {
  if (name.empty())
    name = path;
  exact_[path].push_back(routes_.size());
  routes_.push_back(
      route{verb, std::move(path), false, std::move(name), std::move(fn)});
}

void router::add_streaming(method verb, std::string path, handler fn,
                           size_t max_body_bytes, std::string name) {
  add(verb, std::move(path), std::move(fn), std::move(name));
  streaming_.push_back(routes_.size() - 1);
  routes_.back().streaming = true;
  routes_.back().max_body_bytes = max_body_bytes;
  streaming_verbs_ |= uint32_t{1} << static_cast<unsigned>(verb);
}

void router::add_prefix(method verb, std::string prefix, handler fn,
                        std::string name) {
  if (name.empty())
    name = prefix;
  prefixes_.push_back(routes_.size());
  routes_.push_back(
      route{verb, std::move(prefix), true, std::move(name), std::move(fn)});
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [this](size_t a, size_t b) {
                     return routes_[a].path.size() > routes_[b].path.size();
                   });
}

const router::route* router::pick(const std::vector<size_t>& candidates,
                                  method verb) const {
  const route* hit = nullptr;
  for (auto idx : candidates)
    if (routes_[idx].verb == verb)
      hit = &routes_[idx];
  return hit;
}

const router::route* router::find_streaming(method verb,
                                            std::string_view target) const {
  // Asked for every request on a server with streaming routes: no
  // allocation unless the path has escapes.
  if ((streaming_verbs_ & (uint32_t{1} << static_cast<unsigned>(verb))) == 0)
    return nullptr;
  auto path = target.substr(0, target.find('?'));
  std::optional<std::string> decoded;
  if (path.find('%') != std::string_view::npos) {
    decoded = percent_decode(path, false);
    if (!decoded)
      return nullptr; // dispatch answers 400
    path = *decoded;
  }
  // Streaming routes are exact, and exact paths win over prefixes.
  for (auto idx : streaming_) {
    if (routes_[idx].path != path)
      continue;
    auto hit = pick(exact_.at(routes_[idx].path), verb);
    return hit != nullptr && hit->streaming ? hit : nullptr;
  }
  return nullptr;
}

std::string_view router::dispatch(http_request req,
                                  std::shared_ptr<response_sink> sink,
                                  bridge* br, std::chrono::milliseconds timeout,
                                  std::shared_ptr<body_source> body) const {
  std::string_view target = req.target;
  auto qpos = target.find('?');
  auto path = percent_decode(target.substr(0, qpos), false);
  if (!path) {
    reply_error(*sink, 400, "invalid_argument", "malformed percent escape");
    return unmatched;
  }
  // Collect candidates: the exact path, else the longest matching prefix.
  std::vector<size_t> candidates;
  std::string remainder;
  if (auto i = exact_.find(*path); i != exact_.end()) {
    candidates = i->second;
  } else {
    for (auto idx : prefixes_) {
      const auto& p = routes_[idx].path;
      if (path->compare(0, p.size(), p) != 0)
        continue;
      if (!candidates.empty() && routes_[candidates[0]].path != p)
        break;
      candidates.push_back(idx);
      remainder = path->substr(p.size());
    }
  }
  if (candidates.empty()) {
    reply_error(*sink, 404, "not_found", "no route for " + *path);
    return unmatched;
  }
  auto hit = pick(candidates, req.verb);
  if (hit == nullptr) {
    std::string allow;
    for (auto idx : candidates) {
      if (!allow.empty())
        allow += ", ";
      allow += to_string(routes_[idx].verb);
    }
    reply_error(*sink, 405, "method_not_allowed",
                std::string{"method "} + req.method_name + " not allowed",
                {{"Allow", allow}});
    return routes_[candidates[0]].name;
  }
  auto query =
      parse_query(qpos == std::string_view::npos ? std::string_view{}
                                                 : target.substr(qpos + 1));
  if (!query) {
    reply_error(*sink, 400, "invalid_argument",
                "malformed percent escape in query");
    return hit->name;
  }
  auto ctx = std::make_shared<request_context>(
      std::move(req), std::move(*path), std::move(*query), std::move(remainder),
      hit->name, std::move(sink), br, timeout, hit->streaming,
      hit->streaming ? std::move(body) : nullptr);
  try {
    hit->fn(*ctx);
  } catch (const std::exception& ex) {
    ctx->respond_error(500, "internal", ex.what());
  } catch (...) {
    ctx->respond_error(500, "internal", "handler failed");
  }
  return hit->name;
}

} // namespace troupe::http
