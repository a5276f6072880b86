// Mint's journal records: keys sort as the replay needs (batches by
// sequence number, one user's manual categories by transaction id, users'
// ranges not interleaved) and the records survive a msgpack round trip,
// while every truncation of them fails to decode.
#include "troupe/mint/records.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "troupe/persistence/codec.hpp"

using namespace troupe::mint;
using troupe::persistence::decode;
using troupe::persistence::encode;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string out;
  for (int x : b)
    out += static_cast<char>(x);
  return out;
}

txn_batch sample_batch() {
  txn_batch b;
  txn_entry a;
  a.user = "alice";
  a.created_at = 1709618828;
  a.seller = "Café Nero";
  a.cents = -307;
  a.account = "17-3";
  a.ext_id = "x-42";
  txn_entry c;
  c.user = "bob@example.com";
  c.created_at = -1;
  c.seller = "Exxon";
  c.cents = 10'000'000'000'000;
  b.txns = {a, c};
  return b;
}

job_record sample_job() {
  job_record j;
  j.account = "17-3";
  j.status = "failed";
  j.transactions = 12345678901ULL;
  j.error = "bad_credentials";
  j.attempts = 4;
  j.created_at = 1709618828;
  j.updated_at = 1709618900;
  j.since = 1701820800;
  return j;
}

account_record sample_account() {
  account_record a;
  a.user = "alice";
  a.url = "https://bank.example/api";
  a.login = "alice.l";
  a.sealed_password = std::string("\x00\x01\xff\xfe sealed", 11);
  a.created_at = 1709618828;
  a.refreshed_day = 19787;
  a.newest = 1709600000;
  return a;
}

void expect_eq(const txn_entry& a, const txn_entry& b) {
  EXPECT_EQ(a.user, b.user);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.seller, b.seller);
  EXPECT_EQ(a.cents, b.cents);
  EXPECT_EQ(a.account, b.account);
  EXPECT_EQ(a.ext_id, b.ext_id);
}

/// Every strict prefix of `encoded` fails to decode as T and leaves `out`
/// alone.
template <class T>
void expect_truncations_fail(const std::string& encoded) {
  for (size_t n = 0; n < encoded.size(); ++n) {
    T out;
    std::string err;
    EXPECT_FALSE(decode(std::string_view(encoded).substr(0, n), out, &err))
        << "prefix of " << n << " of " << encoded.size() << " bytes";
    EXPECT_FALSE(err.empty());
  }
}

} // namespace

TEST(MintRecords, SeqKeyBytes) {
  EXPECT_EQ(seq_key('b', 0), bytes({'b', 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(seq_key('b', 1), bytes({'b', 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(seq_key('b', 0x0102030405060708ULL),
            bytes({'b', 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(seq_key('j', UINT64_MAX),
            bytes({'j', 255, 255, 255, 255, 255, 255, 255, 255}));
}

TEST(MintRecords, SeqKeysSortByNumber) {
  std::vector<uint64_t> numbers{0,
                                1,
                                2,
                                127,
                                128,
                                255,
                                256,
                                65535,
                                65536,
                                1ULL << 32,
                                (1ULL << 32) + 1,
                                1ULL << 63,
                                UINT64_MAX - 1,
                                UINT64_MAX};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 500; ++i)
    numbers.push_back(rng() >> (rng() % 64));
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  std::vector<std::string> keys;
  for (auto n : numbers)
    keys.push_back(seq_key('b', n));
  std::vector<std::string> sorted = keys;
  std::shuffle(sorted.begin(), sorted.end(), rng);
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, keys);
}

TEST(MintRecords, ManualKeyBytes) {
  EXPECT_EQ(manual_key("alice", 1), std::string("malice\0\0\0\0\x01", 11));
  EXPECT_EQ(manual_key("u", 0x01020304),
            std::string("mu\0\x01\x02\x03\x04", 7));
}

TEST(MintRecords, ManualKeysOfOneUserSortById) {
  std::vector<uint32_t> ids{1,   2,   9,    10,    11,    99,       100,
                            255, 256, 1000, 65535, 65536, 1u << 24, UINT32_MAX};
  std::vector<std::string> keys;
  for (auto id : ids)
    keys.push_back(manual_key("alice", id));
  auto sorted = keys;
  std::reverse(sorted.begin(), sorted.end());
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, keys);
}

TEST(MintRecords, ManualKeysOfUsersDoNotInterleave) {
  // "a"'s keys all sort before "ab"'s even with large ids: the NUL ends
  // the user.
  EXPECT_LT(manual_key("a", UINT32_MAX), manual_key("ab", 0));
  EXPECT_LT(manual_key("a", UINT32_MAX), manual_key("a.", 1));
  EXPECT_LT(manual_key("A", UINT32_MAX), manual_key("a", 1));
  // And a prefix scan of one user finds only their keys.
  std::string prefix = std::string("ma") + '\0';
  EXPECT_EQ(manual_key("a", 5).rfind(prefix, 0), 0u);
  EXPECT_NE(manual_key("ab", 5).rfind(prefix, 0), 0u);
}

TEST(MintRecords, NoteKeyBytes) {
  // 202401 = 0x000316A1.
  EXPECT_EQ(note_key("bob", 202401, 3, false),
            "nbob" + bytes({0, 0x00, 0x03, 0x16, 0xA1, 3, 0}));
  EXPECT_EQ(note_key("bob", 202401, 3, true),
            "nbob" + bytes({0, 0x00, 0x03, 0x16, 0xA1, 3, 1}));
  // One key per (user, month, category, kind).
  EXPECT_NE(note_key("bob", 202401, 3, false),
            note_key("bob", 202402, 3, false));
  EXPECT_NE(note_key("bob", 202401, 3, false),
            note_key("bob", 202401, 4, false));
  EXPECT_NE(note_key("bob", 202401, 3, false),
            note_key("bo", 202401, 3, false));
  EXPECT_LT(note_key("bob", 202312, 9, true),
            note_key("bob", 202401, 0, false));
}

TEST(MintRecords, TxnBatchRoundTrip) {
  auto b = sample_batch();
  auto encoded = encode(b);
  txn_batch out;
  std::string err;
  ASSERT_TRUE(decode(encoded, out, &err)) << err;
  ASSERT_EQ(out.txns.size(), b.txns.size());
  for (size_t i = 0; i < b.txns.size(); ++i)
    expect_eq(out.txns[i], b.txns[i]);
  // Empty batches too.
  txn_batch empty;
  ASSERT_TRUE(decode(encode(empty), out, &err)) << err;
  EXPECT_TRUE(out.txns.empty());
}

TEST(MintRecords, JobRecordRoundTrip) {
  for (auto j : {sample_job(), job_record{}}) {
    job_record out;
    out.status = "garbage";
    std::string err;
    ASSERT_TRUE(decode(encode(j), out, &err)) << err;
    EXPECT_EQ(out.account, j.account);
    EXPECT_EQ(out.status, j.status);
    EXPECT_EQ(out.transactions, j.transactions);
    EXPECT_EQ(out.error, j.error);
    EXPECT_EQ(out.attempts, j.attempts);
    EXPECT_EQ(out.created_at, j.created_at);
    EXPECT_EQ(out.updated_at, j.updated_at);
    EXPECT_EQ(out.since, j.since);
  }
}

TEST(MintRecords, AccountRecordRoundTrip) {
  auto a = sample_account();
  account_record out;
  std::string err;
  ASSERT_TRUE(decode(encode(a), out, &err)) << err;
  EXPECT_EQ(out.user, a.user);
  EXPECT_EQ(out.url, a.url);
  EXPECT_EQ(out.login, a.login);
  EXPECT_EQ(out.sealed_password, a.sealed_password);
  EXPECT_EQ(out.created_at, a.created_at);
  EXPECT_EQ(out.refreshed_day, a.refreshed_day);
  EXPECT_EQ(out.newest, a.newest);
}

TEST(MintRecords, NoteAndProfileRoundTrip) {
  note_record n;
  n.created_at = 1709618828;
  n.month = 202403;
  n.category = "groceries";
  n.exceeded = true;
  n.spent = 12'345;
  n.budget = 10'000;
  note_record nout;
  ASSERT_TRUE(decode(encode(n), nout));
  EXPECT_EQ(nout.created_at, n.created_at);
  EXPECT_EQ(nout.month, n.month);
  EXPECT_EQ(nout.category, n.category);
  EXPECT_EQ(nout.exceeded, n.exceeded);
  EXPECT_EQ(nout.spent, n.spent);
  EXPECT_EQ(nout.budget, n.budget);

  profile p;
  p.income = 500'000;
  p.budgets = {-1, 0, 100, -1, -1, -1, -1, -1, -1, 7};
  p.active_day = 19787;
  profile pout;
  ASSERT_TRUE(decode(encode(p), pout));
  EXPECT_EQ(pout.income, p.income);
  EXPECT_EQ(pout.budgets, p.budgets);
  EXPECT_EQ(pout.active_day, p.active_day);
}

TEST(MintRecords, TruncatedBytesFailToDecode) {
  expect_truncations_fail<txn_batch>(encode(sample_batch()));
  expect_truncations_fail<job_record>(encode(sample_job()));
  expect_truncations_fail<account_record>(encode(sample_account()));
}

TEST(MintRecords, TrailingBytesAndWrongTypesFail) {
  auto encoded = encode(sample_job());
  job_record out;
  EXPECT_FALSE(decode(encoded + '\0', out));
  // A job record is not a batch, and a batch is not an account.
  txn_batch b;
  EXPECT_FALSE(decode(encoded, b));
  account_record a;
  EXPECT_FALSE(decode(encode(sample_batch()), a));
}
