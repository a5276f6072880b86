#pragma once

// The JSON of etcd's v3 HTTP gateway (etcd 3.4, /v3/...): requests rendered
// and responses parsed, without any I/O. Keys and values travel base64
// encoded; 64-bit numbers arrive as JSON strings; fields that hold their
// default value (false, 0, empty) are left out of responses.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::runtime::etcd {

/// A key as etcd returns it.
struct key_value {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

/// One condition of a transaction on one key.
struct compare {
  enum class target : uint8_t { version, create, mod };
  enum class relation : uint8_t { equal, greater, less, not_equal };
  std::string key;
  target what = target::version;
  relation op = relation::equal;
  int64_t value = 0;

  /// The key does not exist (its version is 0).
  static compare absent(std::string key);
  /// The key exists.
  static compare exists(std::string key);
  /// The key was last written at `revision` (0: it does not exist).
  static compare mod_revision(std::string key, int64_t revision);
};

/// One operation of a transaction: a put (`is_put`) or a range read.
struct operation {
  bool is_put = false;
  std::string key;
  /// put: the value.
  std::string value;
  /// put: attach the key to this lease (0: none).
  int64_t lease = 0;
  /// range: every key in [key, range_end); empty: `key` alone.
  std::string range_end;
  /// range: only keys written at this revision or later (0: all).
  int64_t min_mod_revision = 0;

  static operation put(std::string key, std::string value, int64_t lease = 0);
  static operation range(std::string key, std::string range_end = {},
                         int64_t min_mod_revision = 0);
  /// Every key starting with `prefix`.
  static operation prefix(std::string prefix, int64_t min_mod_revision = 0);
};

/// A transaction: if every compare holds, `success` runs, else `failure`.
struct txn_request {
  std::vector<compare> compares;
  std::vector<operation> success;
  std::vector<operation> failure;
};

struct txn_response {
  bool succeeded = false;
  /// The store's revision after the transaction.
  int64_t revision = 0;
  /// The keys of each range operation that ran, in order (puts leave none).
  std::vector<std::vector<key_value>> ranges;
};

/// A granted lease.
struct lease_grant {
  int64_t id = 0;
  int64_t ttl = 0;
};

/// Returns the end of the range of every key starting with `prefix`.
std::string prefix_end(std::string_view prefix);

std::string base64_encode(std::string_view bytes);
/// Returns nullopt on characters outside the alphabet or a bad length.
std::optional<std::string> base64_decode(std::string_view text);

std::string encode_txn(const txn_request& req);
std::string encode_grant(int64_t ttl_seconds);
/// The body of /v3/lease/keepalive and /v3/lease/revoke.
std::string encode_lease_id(int64_t id);

/// Each decoder returns nullopt and sets `why` on a body it cannot read,
/// or on an error body (`{"error": ..., "code": ...}`), naming the error.
std::optional<txn_response> decode_txn(std::string_view body, std::string* why);
std::optional<lease_grant> decode_grant(std::string_view body,
                                        std::string* why);
/// The TTL left after a keep-alive: 0 when the lease is gone.
std::optional<int64_t> decode_keepalive(std::string_view body,
                                        std::string* why);

} // namespace troupe::runtime::etcd
