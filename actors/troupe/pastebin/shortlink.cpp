#include "troupe/pastebin/shortlink.hpp"

#include <algorithm>

#include <openssl/evp.h>

namespace troupe::pastebin {

namespace {

constexpr char digits[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

} // namespace

std::array<uint8_t, 16> md5(std::string_view data) {
  std::array<uint8_t, 16> out{};
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_md5(), nullptr);
  return out;
}

std::string base62(const std::array<uint8_t, 16>& number) {
  // Long division of the 128-bit number by 62, one digit per round.
  auto n = number;
  std::string result;
  auto is_zero = [&] {
    return std::all_of(n.begin(), n.end(), [](uint8_t x) { return x == 0; });
  };
  while (!is_zero()) {
    unsigned rem = 0;
    for (auto& byte : n) {
      auto cur = (rem << 8) | byte;
      byte = static_cast<uint8_t>(cur / 62);
      rem = cur % 62;
    }
    result.push_back(digits[rem]);
  }
  if (result.empty())
    result.push_back(digits[0]);
  std::reverse(result.begin(), result.end());
  return result;
}

std::string make_shortlink(std::string_view client, int64_t timestamp,
                           uint64_t nonce) {
  std::string input{client};
  input += std::to_string(timestamp);
  input += std::to_string(nonce);
  auto encoded = base62(md5(input));
  // 62^7 < 2^128, so the encoding always has more than 7 digits unless the
  // digest is tiny; pad to keep the length fixed.
  while (encoded.size() < shortlink_length)
    encoded.insert(encoded.begin(), digits[0]);
  return encoded.substr(0, shortlink_length);
}

bool is_shortlink(std::string_view text) {
  return text.size() == shortlink_length &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9');
         });
}

} // namespace troupe::pastebin
