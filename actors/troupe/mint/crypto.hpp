#pragma once

// Sealing Mint account passwords at rest: AES-256-GCM (OpenSSL EVP) under one
// node-wide key. A sealed value is
//
//   0x01 (version) | 12-byte random nonce | ciphertext | 16-byte tag
//
// so it costs 29 bytes over the plaintext. The caller's `aad` (e.g. the
// account id) is authenticated but not stored: a sealed value copied to
// another account does not open there. A random 96-bit nonce per seal is safe
// for far more seals than one key will see (the GCM limit is ~2^32).

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace troupe::mint {

/// A 256-bit key for sealing account passwords. Zeroed when destroyed.
class secret_key {
public:
  /// Parses 64 hex digits or standard base64 of exactly 32 bytes (surrounding
  /// whitespace, e.g. a trailing newline of a key file, ignored). On failure
  /// returns nullopt and sets `why` to a human reason that never contains the
  /// input text.
  static std::optional<secret_key> parse(std::string_view text,
                                         std::string& why);

  /// Returns a fresh random key (RAND_bytes), for tests and keygen tools.
  /// Throws std::runtime_error only if the system has no randomness.
  static secret_key random();

  /// Overwrites the key bytes (OPENSSL_cleanse) before the memory is freed.
  ~secret_key();

  /// Copies the key (copies are zeroed on destruction, too).
  secret_key(const secret_key&) = default;

  /// Assigns the key bytes of `other`.
  secret_key& operator=(const secret_key&) = default;

  /// 64 lower-case hex digits.
  std::string to_hex() const;

  /// The raw 32 key bytes.
  const std::array<unsigned char, 32>& bytes() const { return bytes_; }

private:
  /// An all-zero key; only the factories above make keys.
  secret_key() = default;

  /// The key material.
  std::array<unsigned char, 32> bytes_{};
};

/// Seals `plain`: returns 1 version byte (0x01) | 12-byte random nonce |
/// ciphertext | 16-byte tag; `aad` is authenticated, not stored (callers pass
/// e.g. the account id so a sealed value cannot be moved to another account).
/// Throws std::runtime_error only if the system has no randomness.
std::string seal(const secret_key& key, std::string_view plain,
                 std::string_view aad);

/// Opens what `seal` made; nullopt when the key is wrong, `aad` differs, or
/// the bytes are truncated or tampered.
std::optional<std::string> open(const secret_key& key, std::string_view sealed,
                                std::string_view aad);

/// The outcome of `load_key`: a key, no key (neither source given), or an
/// error text.
struct key_source_result {
  /// The key, when a source was given and valid.
  std::optional<secret_key> key;
  /// Empty on success; names the source, never the key material.
  std::string error;
};

/// Where the key comes from: `env_value` (the value of TROUPE_MINT_KEY, may be
/// null) if non-empty wins over the file at `key_file` (if non-empty). Returns
/// no key and no error when neither is given; an error text when the env value
/// or the file is unreadable/invalid (the text names the source,
/// "TROUPE_MINT_KEY" or the file path, never the key material).
key_source_result load_key(const char* env_value, const std::string& key_file);

/// A fixed check value sealed under `key` (seal of "troupe-mint-key-check" with
/// aad "key-check"), stored next to Mint data so a node can tell a wrong key at
/// start.
std::string make_key_check(const secret_key& key);

/// True iff `stored_check` opens under `key` and yields the key-check text.
bool key_matches(const secret_key& key, std::string_view stored_check);

} // namespace troupe::mint
