#pragma once

// A self-signed certificate and its key, made in the test with OpenSSL's C
// API (no files from outside), for the TLS test server and as the CA file
// the client trusts.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>

namespace troupe::test {

/// A certificate and key in PEM.
struct tls_identity {
  std::string cert_pem;
  std::string key_pem;

  /// Makes a server context that presents this identity.
  std::unique_ptr<boost::asio::ssl::context> server_context() const {
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    ctx->use_certificate_chain(boost::asio::buffer(cert_pem));
    ctx->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem);
    return ctx;
  }
};

namespace detail {

inline std::string to_pem(int (*write)(BIO*, void*), void* obj) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()),
                                                &BIO_free};
  write(bio.get(), obj);
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

} // namespace detail

/// Makes a self-signed P-256 certificate valid for the last hour and the
/// next day, with common name `cn` and subject alternative names `san`
/// (OpenSSL syntax: "DNS:localhost,IP:127.0.0.1").
inline tls_identity make_identity(const std::string& cn,
                                  const std::string& san) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_EC_gen("P-256"),
                                                          &EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert{X509_new(), &X509_free};
  auto* x = cert.get();
  X509_set_version(x, 2);
  std::random_device rd;
  ASN1_INTEGER_set(X509_get_serialNumber(x), static_cast<long>(rd() >> 1));
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key.get());
  auto* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  auto add = [&](int nid, const std::string& value) {
    auto* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_basic_constraints, "critical,CA:TRUE");
  add(NID_subject_alt_name, san);
  X509_sign(x, key.get(), EVP_sha256());
  tls_identity result;
  result.cert_pem = detail::to_pem(
      [](BIO* b, void* p) {
        return PEM_write_bio_X509(b, static_cast<X509*>(p));
      },
      x);
  result.key_pem = detail::to_pem(
      [](BIO* b, void* p) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(p), nullptr,
                                        nullptr, 0, nullptr, nullptr);
      },
      key.get());
  return result;
}

/// A file in the temp directory, removed on destruction.
class temp_file {
public:
  explicit temp_file(const std::string& contents) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("troupe-net-test-" + std::to_string(rd()) + ".pem");
    std::ofstream{path_} << contents;
  }
  ~temp_file() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;

  std::string path() const { return path_.string(); }

private:
  std::filesystem::path path_;
};

} // namespace troupe::test
