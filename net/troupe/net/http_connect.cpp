// Opening a fresh connection for a call: resolve the host (or take an IP
// literal as it is), drop the addresses `allow_address` refuses, connect to
// the first that answers, and for https do the TLS handshake with SNI and
// host name verification. The rules behind it: http_client.cpp.

#include <openssl/x509v3.h>

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>

#include "troupe/net/http_client_impl.hpp"

namespace troupe::net::detail {

void call::connect_fresh() {
  reused_ = false;
  conn_.reset();
  arm_timer(req_.connect_timeout, true);
  if (url_->scheme == "https") {
    if (auto& error = core_.setup_tls(); !error.empty())
      return fail(http_errc::tls_failed, error);
  }
  beast::error_code ec;
  auto literal = asio::ip::make_address(url_->host, ec);
  if (!ec) {
    connect({tcp::endpoint{literal, url_->port}});
    return;
  }
  resolver_.async_resolve(
      url_->host, std::to_string(url_->port),
      on_strand([self = shared_from_this()](
                    const beast::error_code& ec,
                    const tcp::resolver::results_type& results) {
        self->on_resolve(ec, results);
      }));
}

void call::on_resolve(const beast::error_code& ec,
                      const tcp::resolver::results_type& results) {
  if (finished_)
    return;
  if (ec || results.empty())
    return fail(http_errc::resolve_failed,
                "cannot resolve " + url_->host + ": " +
                    (ec ? ec.message() : "no address"));
  std::vector<tcp::endpoint> endpoints;
  for (auto& entry : results)
    endpoints.push_back(entry.endpoint());
  connect(std::move(endpoints));
}

void call::connect(std::vector<tcp::endpoint> endpoints) {
  if (req_.allow_address) {
    auto refused = endpoints.front().address().to_string();
    endpoints.erase(std::remove_if(endpoints.begin(), endpoints.end(),
                                   [this](const tcp::endpoint& ep) {
                                     return !req_.allow_address(
                                         ep.address().to_string(), ep.port());
                                   }),
                    endpoints.end());
    if (endpoints.empty())
      return fail(http_errc::address_refused,
                  "address " + refused + " of " + url_->host + " refused");
  }
  auto tls = url_->scheme == "https" ? &core_.tls_ctx : nullptr;
  conn_ = std::make_shared<connection>(core_.ioc, tls);
  conn_->key = url_->scheme + "://" + url_->authority();
  asio::async_connect(
      conn_->socket, endpoints,
      on_strand([self = shared_from_this()](const beast::error_code& ec,
                                            const tcp::endpoint& ep) {
        self->on_connect(ec, ep);
      }));
}

void call::on_connect(const beast::error_code& ec, const tcp::endpoint& ep) {
  if (finished_)
    return;
  if (ec)
    return fail(http_errc::connect_failed,
                "cannot connect to " + where() + ": " + ec.message());
  conn_->peer = ep;
  beast::error_code ignored;
  conn_->socket.set_option(tcp::no_delay{true}, ignored);
  if (!conn_->tls)
    return send_request();
  auto* handle = conn_->tls->native_handle();
  auto* host = url_->host.c_str();
  beast::error_code not_ip;
  asio::ip::make_address(url_->host, not_ip);
  // SNI carries host names only (RFC 6066 section 3).
  if (not_ip && SSL_set_tlsext_host_name(handle, host) != 1)
    return fail(http_errc::tls_failed, "cannot set SNI for " + url_->host);
  // The checks of asio's ssl::host_name_verification (X509_check_host,
  // X509_check_ip_asc), but made by OpenSSL's own verification, so that a
  // mismatch is reported as one ("hostname mismatch") rather than as an
  // unspecified verification error.
  if (core_.opts.verify_tls) {
    auto* param = SSL_get0_param(handle);
    X509_VERIFY_PARAM_set_hostflags(param,
                                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    auto set = not_ip ? X509_VERIFY_PARAM_set1_host(param, host, 0)
                      : X509_VERIFY_PARAM_set1_ip_asc(param, host);
    if (set != 1)
      return fail(http_errc::tls_failed,
                  "cannot verify the certificate of " + url_->host);
  }
  conn_->tls->async_handshake(
      ssl::stream_base::client,
      on_strand([self = shared_from_this()](const beast::error_code& ec) {
        self->on_handshake(ec);
      }));
}

void call::on_handshake(const beast::error_code& ec) {
  if (finished_)
    return;
  if (ec) {
    std::string text =
        "TLS handshake with " + where() + " failed: " + ec.message();
    auto verify = SSL_get_verify_result(conn_->tls->native_handle());
    if (verify != X509_V_OK)
      text += std::string{" ("} + X509_verify_cert_error_string(verify) + ")";
    return fail(http_errc::tls_failed, std::move(text));
  }
  send_request();
}

} // namespace troupe::net::detail
