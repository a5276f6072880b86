#include "troupe/twitter/auth.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace troupe::twitter {

namespace {

std::string hex(const unsigned char* bytes, size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
  return out;
}

} // namespace

std::string new_auth_token() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed: no randomness for a token");
  return hex(bytes, sizeof(bytes));
}

std::string hash_auth_token(std::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         digest);
  return hex(digest, sizeof(digest));
}

bool auth_token_matches(std::string_view token, std::string_view stored_hash) {
  auto hash = hash_auth_token(token);
  return hash.size() == stored_hash.size() &&
         CRYPTO_memcmp(hash.data(), stored_hash.data(), hash.size()) == 0;
}

} // namespace troupe::twitter
