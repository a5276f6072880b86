#include "troupe/mint/extractor.hpp"

#include <deque>
#include <set>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "troupe/log.hpp"
#include "troupe/mint/extract.hpp"
#include "troupe/mint/messages.hpp"
#include "troupe/net/http_client.hpp"
#include "troupe/net/url.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/atoms.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<troupe::net::http_response>)

namespace troupe::mint {

namespace {

struct job {
  std::string id;
  uint16_t shard = 0;
  std::string url;
  std::string login;
  std::string password;
  std::string since;
  std::string account;
};

/// Sends `msg` to user shard `idx` wherever it runs.
void to_shard(caf::event_based_actor* self, const extractor_env& env,
              uint16_t idx, caf::message msg,
              std::function<void(bool)> done = {}) {
  auto [dest, remote] = env.user_shard(idx);
  if (remote)
    msg = caf::make_message(runtime::to_shard_atom::value, idx, std::move(msg));
  self->request(dest, std::chrono::seconds(30), std::move(msg))
      .then(
          [done](ok_atom) {
            if (done)
              done(true);
          },
          [done](caf::error&) {
            if (done)
              done(false);
          });
}

/// One worker: runs a job's tries one after the other.
class worker_state {
public:
  worker_state(caf::event_based_actor* self, extractor_env_ptr env,
               caf::actor pool)
      : self_(self), env_(std::move(env)), pool_(std::move(pool)) {
    // nop
  }

  void start(job j) {
    job_ = std::move(j);
    started_ = std::chrono::steady_clock::now();
    attempt_ = 0;
    next_try();
  }

  void next_try() {
    ++attempt_;
    redirects_ = 0;
    to_shard(self_, *env_, job_.shard,
             caf::make_message(job_state_atom::value, job_.id,
                               std::string{"running"}, attempt_,
                               std::string{}));
    auto origin = net::url::parse(job_.url);
    auto u = net::url::parse(transactions_url(job_.url, job_.since));
    if (!origin || !u)
      return fail(extract_failure::bad_response);
    origin_ = origin_of(*origin);
    fetch(*u);
  }

  void fetch(const net::url& u) {
    if (!env_->policy.host_allowed(u.host, u.port))
      return fail(extract_failure::unreachable);
    current_ = u;
    net::http_request req;
    req.url = u.to_string();
    req.connect_timeout = env_->settings.connect_timeout;
    req.timeout = env_->settings.read_timeout;
    req.max_response_bytes = env_->settings.max_response_bytes;
    req.max_redirects = 0;       // followed here, each hop checked
    if (origin_of(u) == origin_) // credentials go to the account's origin only
      req.basic_auth = std::make_pair(job_.login, job_.password);
    // A copy of the policy: a pending request must not keep the client's
    // owner alive.
    req.allow_address = [policy = env_->policy](const std::string& ip,
                                                uint16_t) {
      return policy.address_allowed(ip);
    };
    auto hdl = caf::actor_cast<caf::actor>(self_);
    env_->client->send(std::move(req), [hdl](net::http_response res) {
      caf::anon_send(hdl, fetched_atom::value,
                     std::make_shared<net::http_response>(std::move(res)));
    });
  }

  void on_fetched(const net::http_response& res) {
    using net::http_errc;
    if (!res.ok()) {
      if (res.error == http_errc::too_large)
        return fail(extract_failure::bad_response);
      if (res.error == http_errc::address_refused ||
          res.error == http_errc::bad_url)
        return fail(extract_failure::unreachable);
      return retry_or(extract_failure::unreachable);
    }
    if (res.status >= 300 && res.status < 400)
      return redirect(res);
    if (res.status == 401 || res.status == 403)
      return fail(extract_failure::bad_credentials);
    if (res.status >= 500 || res.status == 429)
      return retry_or(extract_failure::unreachable);
    if (res.status != 200)
      return fail(extract_failure::bad_response);
    std::string why;
    auto txns = parse_institution_answer(res.body, job_.account, why);
    if (!txns)
      return fail(extract_failure::bad_response);
    deliver(persistence::encode(txn_batch{std::move(*txns)}), 0);
  }

  static std::string origin_of(const net::url& u) {
    return u.scheme + "://" + u.authority();
  }

  void redirect(const net::http_response& res) {
    auto next = current_.resolve(res.header("Location"));
    if (!next || ++redirects_ > env_->settings.max_redirects)
      return fail(extract_failure::bad_response);
    fetch(*next);
  }

  void retry_or(extract_failure why) {
    if (attempt_ >= env_->settings.extract_attempts)
      return fail(why);
    auto delay = env_->settings.extract_retry * (1u << (attempt_ - 1));
    self_->delayed_send(self_, delay, retry_atom::value);
  }

  void deliver(std::string batch, int tries) {
    auto self = self_;
    to_shard(self_, *env_, job_.shard,
             caf::make_message(extracted_atom::value, job_.id, batch),
             [this, self, batch, tries](bool ok) {
               if (ok || tries >= 3)
                 return finish(); // else the shard's job timeout re-queues
               self->delayed_send(self, std::chrono::seconds(1 << tries),
                                  retry_atom::value);
               pending_batch_ = batch;
               pending_tries_ = tries + 1;
             });
  }

  /// Goes on after a backoff: redelivers a batch, or tries again.
  void on_retry() {
    if (!pending_batch_.empty()) {
      auto batch = std::move(pending_batch_);
      pending_batch_.clear();
      return deliver(std::move(batch), pending_tries_);
    }
    next_try();
  }

  void fail(extract_failure why) {
    log::info("mint", "job ", job_.id, " failed: ", to_string(why), " after ",
              attempt_, " tries");
    to_shard(self_, *env_, job_.shard,
             caf::make_message(job_state_atom::value, job_.id,
                               std::string{"failed"}, attempt_,
                               std::string{to_string(why)}));
    finish();
  }

  void finish() {
    if (env_->duration != nullptr)
      env_->duration->observe(std::chrono::duration<double>(
                                  std::chrono::steady_clock::now() - started_)
                                  .count());
    self_->send(pool_, worker_done_atom::value, job_.id);
  }

private:
  caf::event_based_actor* self_;
  extractor_env_ptr env_;
  caf::actor pool_;
  job job_;
  net::url current_;
  std::string origin_;
  uint32_t attempt_ = 0;
  size_t redirects_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::string pending_batch_;
  int pending_tries_ = 0;
};

caf::behavior worker(caf::event_based_actor* self, extractor_env_ptr env,
                     caf::actor pool) {
  auto st = std::make_shared<worker_state>(self, std::move(env), pool);
  return {
      [st](enqueue_atom, const std::string& id, uint16_t shard,
           const std::string& url, const std::string& login,
           const std::string& password, const std::string& since,
           const std::string& account) {
        st->start(job{id, shard, url, login, password, since, account});
      },
      [st](fetched_atom, const std::shared_ptr<net::http_response>& res) {
        st->on_fetched(*res);
      },
      [st](retry_atom) { st->on_retry(); },
  };
}

struct pool_state {
  std::deque<caf::message> queue;
  std::set<std::string> known; // queued or running job ids
  std::vector<caf::actor> idle;
};

caf::behavior pool(caf::event_based_actor* self, extractor_env_ptr env) {
  auto st = std::make_shared<pool_state>();
  auto hdl = caf::actor_cast<caf::actor>(self);
  for (size_t i = 0; i < env->settings.extract_workers; ++i)
    st->idle.push_back(self->spawn<caf::linked>(worker, env, hdl));
  auto dispatch = [st, self] {
    while (!st->queue.empty() && !st->idle.empty()) {
      self->send(st->idle.back(), std::move(st->queue.front()));
      st->idle.pop_back();
      st->queue.pop_front();
    }
  };
  return {
      [st, env, dispatch](enqueue_atom, const std::string& id, uint16_t shard,
                          const std::string& url, const std::string& login,
                          const std::string& password, const std::string& since,
                          const std::string& account) {
        if (st->known.count(id) > 0)
          return true;
        if (st->queue.size() >= env->settings.extract_queue)
          return false;
        st->known.insert(id);
        st->queue.push_back(caf::make_message(enqueue_atom::value, id, shard,
                                              url, login, password, since,
                                              account));
        dispatch();
        return true;
      },
      [self, st, dispatch](worker_done_atom, const std::string& id) {
        st->known.erase(id);
        st->idle.push_back(caf::actor_cast<caf::actor>(self->current_sender()));
        dispatch();
      },
  };
}

} // namespace

caf::actor spawn_extractor(caf::actor_system& sys, extractor_env_ptr env) {
  return sys.spawn(pool, std::move(env));
}

} // namespace troupe::mint
