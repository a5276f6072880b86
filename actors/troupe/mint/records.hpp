#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

/// What a Mint shard journals, msgpack-encoded (persistence/codec.hpp),
/// and the keys of its records:
/// - `b` + seq (8 bytes, big endian): a `txn_batch` of new transactions,
///   replayed in key (= journal) order, so transaction ids come back the
///   same;
/// - `m` + user + NUL + id (4 bytes, big endian): a manual category (name);
/// - `c` + seller key: the crowd's category of a seller (name);
/// - `n` + user + NUL + month (4) + category (1) + kind (1): a `note_record`;
/// - `u` + user: a `profile` (income, budgets, last activity);
/// - `a` + account id: an `account_record`; `j` + job id: a `job_record`;
/// - `k`: the key check value (crypto.hpp) every account's password was
///   sealed under.
namespace troupe::mint {

/// One transaction of a batch; `account` and `ext_id` are set when it came
/// from an institution (for idempotent re-pulls).
struct txn_entry {
  std::string user;
  int64_t created_at = 0;
  std::string seller;
  int64_t cents = 0;
  std::string account;
  std::string ext_id;
  MSGPACK_DEFINE_ARRAY(user, created_at, seller, cents, account, ext_id)
};

/// New transactions applied together.
struct txn_batch {
  std::vector<txn_entry> txns;
  MSGPACK_DEFINE_ARRAY(txns)
};

/// A stored notification.
struct note_record {
  int64_t created_at = 0;
  int32_t month = 0;
  std::string category;
  bool exceeded = false;
  int64_t spent = 0;
  int64_t budget = 0;
  uint32_t order = 0;
  MSGPACK_DEFINE_MAP(created_at, month, category, exceeded, spent, budget,
                     order)
};

/// A user's settings and last activity.
struct profile {
  int64_t income = 0;
  std::vector<int64_t> budgets;
  int64_t active_day = 0;
  MSGPACK_DEFINE_MAP(income, budgets, active_day)
};

/// A linked account; the password only sealed (AES-256-GCM, the account
/// id as associated data).
struct account_record {
  std::string user;
  std::string url;
  std::string login;
  std::string sealed_password;
  int64_t created_at = 0;
  /// Day (Unix days) the daily refresh last queued a job for it.
  int64_t refreshed_day = 0;
  /// Newest transaction date pulled (Unix seconds; 0: none yet).
  int64_t newest = 0;
  MSGPACK_DEFINE_MAP(user, url, login, sealed_password, created_at,
                     refreshed_day, newest)
};

/// An extraction job and its progress.
struct job_record {
  std::string account;
  std::string status; // queued, running, done, failed
  uint64_t transactions = 0;
  std::string error;
  uint32_t attempts = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  /// Unix seconds of the `since` date asked for.
  int64_t since = 0;
  MSGPACK_DEFINE_MAP(account, status, transactions, error, attempts, created_at,
                     updated_at, since)
};

/// Returns `prefix` followed by `n` as 8 big-endian bytes.
std::string seq_key(char prefix, uint64_t n);

/// Returns the key of the manual category of `user`'s transaction `id`.
std::string manual_key(std::string_view user, uint32_t id);

/// Returns the key of a notification.
std::string note_key(std::string_view user, int32_t month, uint8_t cat,
                     bool exceeded);

} // namespace troupe::mint
