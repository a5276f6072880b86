#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace troupe::pastebin {

/// Length of a shortlink: 62^7 ~ 3.5e12 values, plenty for the 360 million
/// links of three years in the design notes.
constexpr size_t shortlink_length = 7;

/// Returns the MD5 digest of `data`.
std::array<uint8_t, 16> md5(std::string_view data);

/// Encodes a 128-bit big-endian number in base 62 with the digits
/// `a-z`, `A-Z`, `0-9` (values 0..61), most significant digit first.
std::string base62(const std::array<uint8_t, 16>& number);

/// The shortlink for a request: the first 7 characters of
/// base62(MD5(client + timestamp + nonce)).
std::string make_shortlink(std::string_view client, int64_t timestamp,
                           uint64_t nonce);

/// Returns whether `text` has the shape of a shortlink.
bool is_shortlink(std::string_view text);

} // namespace troupe::pastebin
