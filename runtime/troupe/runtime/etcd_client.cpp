#include "troupe/runtime/etcd_client.hpp"

namespace troupe::runtime::etcd {

namespace {

net::http_client::options client_options() {
  net::http_client::options opts;
  opts.threads = 1;
  opts.max_idle_per_host = 4;
  opts.user_agent = "troupe-etcd";
  return opts;
}

/// Turns a decoder's output into a result.
template <class T>
result<T> to_result(std::optional<T> value, std::string why) {
  result<T> out;
  if (value)
    out.value = std::move(*value);
  else
    out.error = why.empty() ? "unreadable answer from etcd" : std::move(why);
  return out;
}

} // namespace

client::client(std::vector<config::endpoint> endpoints,
               std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), timeout_(timeout),
      http_(client_options()) {
  // nop
}

client::~client() {
  stop();
}

void client::stop() {
  http_.stop();
}

void client::call(const char* path, std::string body, done_fn done) {
  auto k = current_.load() % endpoints_.size();
  const auto& ep = endpoints_[k];
  net::http_request req;
  req.method = "POST";
  req.url = "http://" + ep.to_string() + path;
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = std::move(body);
  req.connect_timeout = timeout_;
  req.timeout = timeout_;
  req.max_response_bytes = 64u << 20;
  auto where = ep.to_string();
  http_.send(std::move(req),
             [this, k, where, done = std::move(done)](net::http_response res) {
               if (!res.ok()) {
                 // Next call, next endpoint (unless another call moved on
                 // already).
                 auto expected = k;
                 current_.compare_exchange_strong(expected, k + 1);
                 done("etcd at " + where + ": " + res.error_text, {});
                 return;
               }
               // The gateway answers errors as JSON with a 4xx/5xx status: the
               // decoders name them.
               done({}, std::move(res.body));
             });
}

void client::grant(int64_t ttl_seconds,
                   std::function<void(result<lease_grant>)> f) {
  call("/v3/lease/grant", encode_grant(ttl_seconds),
       [f = std::move(f)](std::string error, std::string body) {
         if (!error.empty())
           return f({{}, std::move(error)});
         std::string why;
         auto value = decode_grant(body, &why);
         f(to_result(std::move(value), std::move(why)));
       });
}

void client::keepalive(int64_t id, std::function<void(result<int64_t>)> f) {
  call("/v3/lease/keepalive", encode_lease_id(id),
       [f = std::move(f)](std::string error, std::string body) {
         if (!error.empty())
           return f({{}, std::move(error)});
         std::string why;
         auto value = decode_keepalive(body, &why);
         f(to_result(std::move(value), std::move(why)));
       });
}

void client::revoke(int64_t id, std::function<void(result<bool>)> f) {
  call("/v3/lease/revoke", encode_lease_id(id),
       [f = std::move(f)](std::string error, std::string) {
         f({error.empty(), std::move(error)});
       });
}

void client::txn(const txn_request& req,
                 std::function<void(result<txn_response>)> f) {
  call("/v3/kv/txn", encode_txn(req),
       [f = std::move(f)](std::string error, std::string body) {
         if (!error.empty())
           return f({{}, std::move(error)});
         std::string why;
         auto value = decode_txn(body, &why);
         f(to_result(std::move(value), std::move(why)));
       });
}

} // namespace troupe::runtime::etcd
