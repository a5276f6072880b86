#pragma once

#include <string>
#include <string_view>

namespace troupe::twitter {

/// A new random 128-bit auth token: 32 lower-case hex digits (OpenSSL's
/// RAND_bytes). Handed to the user once; the service keeps only its hash.
std::string new_auth_token();

/// The SHA-256 of `token`, 64 lower-case hex digits: what is stored.
std::string hash_auth_token(std::string_view token);

/// Whether `token` hashes to `stored_hash`, compared in constant time.
bool auth_token_matches(std::string_view token, std::string_view stored_hash);

} // namespace troupe::twitter
