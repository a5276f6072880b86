#include "troupe/mint/crypto.hpp"

#include <algorithm>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace troupe::mint {

namespace {

constexpr unsigned char version = 0x01;
constexpr size_t nonce_size = 12;
constexpr size_t tag_size = 16;
constexpr size_t overhead = 1 + nonce_size + tag_size;
constexpr std::string_view check_text = "troupe-mint-key-check";
constexpr std::string_view check_aad = "key-check";

using cipher_ctx =
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

cipher_ctx new_ctx() {
  return {EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
}

const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* u8(std::string& s, size_t offset) {
  return reinterpret_cast<unsigned char*>(s.data()) + offset;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

// Feeds `in` to EVP_{En,De}cryptUpdate in int-sized pieces, writing to `out`.
template <class Update>
bool update_all(EVP_CIPHER_CTX* ctx, Update update, unsigned char* out,
                const unsigned char* in, size_t n) {
  constexpr size_t piece = size_t{1} << 30;
  while (n > 0) {
    int chunk = static_cast<int>(std::min(n, piece));
    int written = 0;
    if (update(ctx, out, &written, in, chunk) != 1 || written != chunk)
      return false;
    out += chunk;
    in += chunk;
    n -= static_cast<size_t>(chunk);
  }
  return true;
}

// Passes `aad` to the cipher (an update with a null output buffer).
template <class Update>
bool add_aad(EVP_CIPHER_CTX* ctx, Update update, std::string_view aad) {
  while (!aad.empty()) {
    int chunk = static_cast<int>(std::min(aad.size(), size_t{1} << 30));
    int written = 0;
    if (update(ctx, nullptr, &written, u8(aad), chunk) != 1)
      return false;
    aad.remove_prefix(static_cast<size_t>(chunk));
  }
  return true;
}

} // namespace

// -- secret_key ---------------------------------------------------------------

std::optional<secret_key> secret_key::parse(std::string_view text,
                                            std::string& why) {
  text = trim(text);
  secret_key key;
  if (text.size() == 64) {
    for (size_t i = 0; i < 32; ++i) {
      int hi = hex_value(text[2 * i]);
      int lo = hex_value(text[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        why = "a 64-character key must be hex digits only";
        return std::nullopt;
      }
      key.bytes_[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    return key;
  }
  if (text.size() == 44) {
    // 43 digits carry 258 bits: 32 bytes and 2 padding bits; then one '='.
    if (text[43] != '=') {
      why = "a 44-character key must be base64 ending in one '='";
      return std::nullopt;
    }
    unsigned int acc = 0;
    int bits = 0;
    size_t out = 0;
    for (size_t i = 0; i < 43; ++i) {
      int v = base64_value(text[i]);
      if (v < 0) {
        why = "a 44-character key must be standard base64 (A-Z a-z 0-9 + /)";
        return std::nullopt;
      }
      acc = (acc << 6 | static_cast<unsigned int>(v)) & 0xfff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        key.bytes_[out++] = static_cast<unsigned char>(acc >> bits);
      }
    }
    OPENSSL_cleanse(&acc, sizeof(acc));
    return key;
  }
  why = "key must be 64 hex digits or 44 base64 characters (32 bytes), got " +
        std::to_string(text.size()) + " characters";
  return std::nullopt;
}

secret_key secret_key::random() {
  secret_key key;
  if (RAND_bytes(key.bytes_.data(), static_cast<int>(key.bytes_.size())) != 1)
    throw std::runtime_error("RAND_bytes failed: no randomness for a key");
  return key;
}

secret_key::~secret_key() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string secret_key::to_hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < 32; ++i) {
    out[2 * i] = digits[bytes_[i] >> 4];
    out[2 * i + 1] = digits[bytes_[i] & 0x0f];
  }
  return out;
}

// -- seal and open ------------------------------------------------------------

std::string seal(const secret_key& key, std::string_view plain,
                 std::string_view aad) {
  std::string out(overhead + plain.size(), '\0');
  out[0] = static_cast<char>(version);
  unsigned char* nonce = u8(out, 1);
  if (RAND_bytes(nonce, static_cast<int>(nonce_size)) != 1)
    throw std::runtime_error("RAND_bytes failed: no randomness for a nonce");
  auto ctx = new_ctx();
  int final_len = 0;
  bool ok = ctx &&
            EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr,
                               nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes().data(),
                               nonce) == 1 &&
            add_aad(ctx.get(), EVP_EncryptUpdate, aad) &&
            update_all(ctx.get(), EVP_EncryptUpdate, u8(out, 1 + nonce_size),
                       u8(plain), plain.size()) &&
            EVP_EncryptFinal_ex(ctx.get(), u8(out, out.size() - tag_size),
                                &final_len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG,
                                static_cast<int>(tag_size),
                                u8(out, out.size() - tag_size)) == 1;
  if (!ok) // Only on allocation failure inside OpenSSL.
    throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

std::optional<std::string> open(const secret_key& key, std::string_view sealed,
                                std::string_view aad) {
  if (sealed.size() < overhead ||
      static_cast<unsigned char>(sealed[0]) != version)
    return std::nullopt;
  auto nonce = u8(sealed) + 1;
  auto body = sealed.substr(1 + nonce_size, sealed.size() - overhead);
  std::string tag(sealed.substr(sealed.size() - tag_size));
  std::string plain(body.size(), '\0');
  auto ctx = new_ctx();
  int final_len = 0;
  bool ok = ctx &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr,
                               nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes().data(),
                               nonce) == 1 &&
            add_aad(ctx.get(), EVP_DecryptUpdate, aad) &&
            update_all(ctx.get(), EVP_DecryptUpdate, u8(plain, 0), u8(body),
                       body.size()) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                                static_cast<int>(tag_size), tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), nullptr, &final_len) == 1;
  if (!ok) {
    // The tag did not verify: what was decrypted must not linger.
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  return plain;
}

// -- key sources --------------------------------------------------------------

key_source_result load_key(const char* env_value, const std::string& key_file) {
  key_source_result result;
  std::string why;
  if (env_value != nullptr && *env_value != '\0') {
    result.key = secret_key::parse(env_value, why);
    if (!result.key)
      result.error = "TROUPE_MINT_KEY: " + why;
    return result;
  }
  if (key_file.empty())
    return result;
  std::ifstream in(key_file, std::ios::binary);
  if (!in) {
    result.error = "cannot read key file " + key_file;
    return result;
  }
  // A key file is tiny; a larger one is not a key, and is not read whole.
  std::string text(4096, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  auto got = static_cast<size_t>(in.gcount());
  if (in.bad()) {
    result.error = "cannot read key file " + key_file;
  } else if (got == text.size()) {
    result.error = "key file " + key_file + " is too large to be a key";
  } else {
    result.key = secret_key::parse(std::string_view(text.data(), got), why);
    if (!result.key)
      result.error = "key file " + key_file + ": " + why;
  }
  OPENSSL_cleanse(text.data(), text.size());
  return result;
}

std::string make_key_check(const secret_key& key) {
  return seal(key, check_text, check_aad);
}

bool key_matches(const secret_key& key, std::string_view stored_check) {
  auto plain = open(key, stored_check, check_aad);
  return plain && *plain == check_text;
}

} // namespace troupe::mint
