#include "troupe/crawler/worker.hpp"

#include <functional>
#include <unordered_map>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "troupe/crawler/html.hpp"
#include "troupe/crawler/messages.hpp"
#include "troupe/crawler/simhash.hpp"
#include "troupe/crawler/text.hpp"
#include "troupe/net/address_policy.hpp"
#include "troupe/net/http_client.hpp"
#include "troupe/net/url.hpp"
#include "troupe/runtime/errors.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<troupe::net::http_response>)

namespace troupe::crawler {

namespace {

using response_ptr = std::shared_ptr<net::http_response>;

/// RFC 9309 asks crawlers to follow at least five redirects for robots.txt.
constexpr int robots_redirects = 5;

/// One fetch in progress.
struct fetch {
  caf::typed_response_promise<fetch_result_ptr> promise;
  std::string url;
  bool robots = false;
  size_t hops = 0;
};

bool is_html(const net::http_response& res) {
  auto type = res.header("Content-Type");
  if (type.empty())
    return res.body.find("<html") != std::string::npos ||
           res.body.find("<HTML") != std::string::npos;
  for (auto& c : type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type.rfind("text/html", 0) == 0 ||
         type.rfind("application/xhtml+xml", 0) == 0;
}

/// Why a response that arrived is not a page (empty: it is one).
std::string failure_of(const net::http_response& res) {
  if (!res.ok())
    return net::to_string(res.error);
  if (res.status < 200 || res.status > 299)
    return "http_" + std::to_string(res.status);
  return is_html(res) ? std::string{} : std::string{"not_html"};
}

/// A fetched page parsed: title, text, links, simhash.
fetch_result_ptr parse_page(const std::string& url, const fetch_result& raw) {
  auto out = std::make_shared<fetch_result>();
  out->status = raw.status;
  out->final_url = raw.final_url;
  auto page = parse_html(raw.body, raw.final_url.empty() ? url : raw.final_url);
  out->title = std::move(page.title);
  out->text = std::move(page.text);
  out->links = std::move(page.links);
  out->noindex = page.noindex;
  out->simhash = simhash(terms_of(out->title + " " + out->text));
  return out;
}

class worker_state {
public:
  worker_state(caf::event_based_actor* self,
               std::shared_ptr<const worker_env> env)
      : self_(self), env_(std::move(env)),
        limit_(std::max<size_t>(1, env_->settings.worker_queue /
                                       env_->settings.workers)) {
    // nop
  }

  caf::result<fetch_result_ptr> start(const std::string& url, bool robots) {
    if (fetches_.size() >= limit_)
      return runtime::make_error(runtime::errc::overloaded,
                                 "crawl workers are busy");
    auto id = next_id_++;
    auto& f = fetches_[id];
    f.promise = self_->make_response_promise<fetch_result_ptr>();
    f.url = url;
    f.robots = robots;
    send(id, f);
    return f.promise;
  }

  void on_fetched(uint64_t id, const net::http_response& res) {
    auto i = fetches_.find(id);
    if (i == fetches_.end())
      return;
    auto& f = i->second;
    if (!f.robots && follow(id, f, res))
      return;
    auto out = std::make_shared<fetch_result>();
    out->status = res.status;
    if (f.robots)
      robots_result(res, *out);
    else
      page_result(f, res, *out);
    f.promise.deliver(fetch_result_ptr{std::move(out)});
    fetches_.erase(i);
  }

private:
  void send(uint64_t id, const fetch& f) {
    const auto& cfg = env_->settings;
    net::http_request req;
    req.url = f.url;
    req.connect_timeout = cfg.connect_timeout;
    req.timeout = cfg.read_timeout;
    req.max_response_bytes = cfg.max_page_bytes;
    req.max_redirects = f.robots ? robots_redirects : 0;
    if (cfg.public_only)
      req.allow_address = [](const std::string& ip, uint16_t) {
        return net::is_public_address(ip);
      };
    auto hdl = caf::actor{self_};
    env_->client->send(std::move(req), [hdl, id](net::http_response res) {
      caf::anon_send(hdl, fetched_atom::value, id,
                     std::make_shared<net::http_response>(std::move(res)));
    });
  }

  /// Follows a redirect on the same host; true if a new request went out.
  bool follow(uint64_t id, fetch& f, const net::http_response& res) {
    if (!res.ok() || res.status < 300 || res.status > 399)
      return false;
    auto from = net::url::parse(f.url);
    auto to = from ? from->resolve(res.header("Location")) : std::nullopt;
    if (!to || to->authority() != from->authority() ||
        f.hops >= env_->settings.max_redirects)
      return false;
    ++f.hops;
    f.url = to->to_string();
    send(id, f);
    return true;
  }

  static void robots_result(const net::http_response& res, fetch_result& out) {
    if (!res.ok())
      out.failure = net::to_string(res.error);
    else if (res.status >= 200 && res.status <= 299)
      out.body = res.body;
  }

  void page_result(const fetch& f, const net::http_response& res,
                   fetch_result& out) {
    if (res.ok() && res.status >= 300 && res.status <= 399) {
      moved(f, res, out);
      return;
    }
    out.failure = failure_of(res);
    out.final_url = f.url;
    if (out.failure.empty())
      out.body = res.body;
  }

  void moved(const fetch& f, const net::http_response& res, fetch_result& out) {
    auto from = net::url::parse(f.url);
    auto to = from ? from->resolve(res.header("Location")) : std::nullopt;
    if (!to) {
      out.failure = "bad_redirect";
    } else if (to->authority() == from->authority()) {
      out.failure = "too_many_redirects";
    } else {
      out.failure = "redirect_elsewhere";
      out.moved_to = to->to_string();
    }
  }

  caf::event_based_actor* self_;
  std::shared_ptr<const worker_env> env_;
  size_t limit_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, fetch> fetches_;
};

caf::behavior worker(caf::event_based_actor* self,
                     std::shared_ptr<const worker_env> env) {
  auto st = std::make_shared<worker_state>(self, std::move(env));
  return {
      [st](fetch_atom, const std::string& url, bool robots) {
        return st->start(url, robots);
      },
      [](parse_atom, const std::string& url, const fetch_result_ptr& raw) {
        return parse_page(url, *raw);
      },
      [st](fetched_atom, uint64_t id, const response_ptr& res) {
        st->on_fetched(id, *res);
      },
  };
}

/// Spawns the workers (linked: they end with it) and hands each fetch to
/// the next one in turn.
caf::behavior front(caf::event_based_actor* self,
                    std::shared_ptr<const worker_env> env) {
  std::vector<caf::actor> workers;
  for (size_t i = 0; i < std::max<size_t>(1, env->settings.workers); ++i)
    workers.push_back(self->spawn<caf::linked>(worker, env));
  auto next = std::make_shared<size_t>(0);
  return {
      [self, workers, next](fetch_atom atm, const std::string& url,
                            bool robots) {
        auto& w = workers[(*next)++ % workers.size()];
        return self->delegate(w, atm, url, robots);
      },
      [self, workers, next](parse_atom atm, const std::string& url,
                            const fetch_result_ptr& raw) {
        auto& w = workers[(*next)++ % workers.size()];
        return self->delegate(w, atm, url, raw);
      },
  };
}

} // namespace

caf::actor spawn_workers(caf::actor_system& sys,
                         std::shared_ptr<const worker_env> env) {
  return sys.spawn(front, std::move(env));
}

} // namespace troupe::crawler
