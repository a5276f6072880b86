#include "troupe/persistence/store.hpp"

#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "persistence/temp_dir.hpp"

using namespace troupe::persistence;
using troupe::config::durability;
using troupe::persistence::testing::temp_dir;

namespace {

using record_list = std::vector<std::pair<std::string, std::string>>;

journal_entry put(uint64_t seq, std::string key, std::string value) {
  return journal_entry{seq, 0, {{journal_op::put, key, value}}};
}

journal_entry erase(uint64_t seq, std::string key) {
  return journal_entry{seq, 0, {{journal_op::erase, key, ""}}};
}

void append_all(lmdb_env& env, store& st, uint16_t shard,
                const std::vector<journal_entry>& entries) {
  lmdb_txn txn{env, lmdb_txn::mode::write};
  for (auto& e : entries)
    st.append(txn, shard, e);
  txn.commit();
}

record_list apply_all(const std::vector<journal_entry>& entries) {
  std::map<std::string, std::string> m;
  for (auto& e : entries)
    for (auto& op : e.ops)
      if (op.kind == journal_op::put)
        m[op.key] = op.value;
      else
        m.erase(op.key);
  return {m.begin(), m.end()};
}

/// Random puts and erases over a small key space, seqs 1..n.
std::vector<journal_entry> random_entries(size_t n, unsigned seed) {
  std::mt19937 rng{seed};
  std::vector<journal_entry> result;
  for (uint64_t seq = 1; seq <= n; ++seq) {
    journal_entry e;
    e.seq = seq;
    for (int i = 1 + rng() % 3; i > 0; --i) {
      auto key = "k" + std::to_string(rng() % 40);
      if (rng() % 4 == 0)
        e.ops.push_back({journal_op::erase, key, ""});
      else
        e.ops.push_back({journal_op::put, key, "v" + std::to_string(rng())});
    }
    result.push_back(std::move(e));
  }
  return result;
}

class persistence_store_fixture : public ::testing::Test {
protected:
  temp_dir tmp;
  lmdb_env env{tmp.path(), 64, durability::group};
  store st{env, "svc"};
};

} // namespace

TEST_F(persistence_store_fixture, empty_shard) {
  auto img = st.load_shard(3);
  EXPECT_EQ(img.last_seq, 0u);
  EXPECT_TRUE(img.records.empty());
  EXPECT_EQ(st.journal_length(3), 0u);
  EXPECT_EQ(st.compact(3), 0u);
  EXPECT_TRUE(st.read_journal(3, 0).empty());
}

TEST_F(persistence_store_fixture, load_after_appends) {
  append_all(env, st, 1,
             {put(1, "a", "1"), put(2, "b", "2"), put(3, "a", "3"),
              erase(4, "b"), put(5, "c", "5")});
  auto img = st.load_shard(1);
  EXPECT_EQ(img.last_seq, 5u);
  EXPECT_EQ(img.records, (record_list{{"a", "3"}, {"c", "5"}}));
  EXPECT_EQ(st.journal_length(1), 5u);
}

TEST_F(persistence_store_fixture, multi_op_entry_and_binary_keys) {
  journal_entry e{1, 0, {}};
  e.ops.push_back({journal_op::put, std::string("\0k", 2), "zero"});
  e.ops.push_back({journal_op::put, "", "empty key"});
  e.ops.push_back({journal_op::put, "x", std::string(100000, 'b')});
  append_all(env, st, 0, {e});
  auto img = st.load_shard(0);
  ASSERT_EQ(img.records.size(), 3u);
  EXPECT_EQ(img.records[0],
            (std::pair<std::string, std::string>{"", "empty key"}));
  EXPECT_EQ(img.records[1].first, std::string("\0k", 2));
  EXPECT_EQ(img.records[2].second.size(), 100000u);
  st.compact(0);
  EXPECT_EQ(st.load_shard(0).records, img.records);
}

TEST_F(persistence_store_fixture,
       snapshot_plus_journal_equals_applying_everything) {
  auto entries = random_entries(300, 7);
  std::vector<journal_entry> first(entries.begin(), entries.begin() + 120);
  std::vector<journal_entry> second(entries.begin() + 120, entries.end());
  append_all(env, st, 9, first);
  EXPECT_EQ(st.compact(9), 120u);
  EXPECT_EQ(st.snapshot_seq(9), 120u);
  append_all(env, st, 9, second);
  EXPECT_EQ(st.journal_length(9), 180u);
  auto img = st.load_shard(9);
  EXPECT_EQ(img.last_seq, 300u);
  EXPECT_EQ(img.records, apply_all(entries));
}

TEST_F(persistence_store_fixture, compact_keeps_image_and_empties_journal) {
  auto entries = random_entries(200, 11);
  append_all(env, st, 2, entries);
  auto before = st.load_shard(2);
  EXPECT_EQ(st.compact(2), 200u);
  EXPECT_EQ(st.journal_length(2), 0u);
  auto after = st.load_shard(2);
  EXPECT_EQ(after.records, before.records);
  EXPECT_EQ(after.last_seq, before.last_seq);
  EXPECT_EQ(after.records, apply_all(entries));
  // Compacting again is a no-op.
  EXPECT_EQ(st.compact(2), 0u);
  EXPECT_EQ(st.load_shard(2).records, before.records);
}

TEST_F(persistence_store_fixture, shards_and_services_are_isolated) {
  store other{env, "other"};
  append_all(env, st, 1, {put(1, "a", "s1")});
  append_all(env, st, 2, {put(1, "a", "s2"), put(2, "b", "s2")});
  append_all(env, st, 256, {put(1, "a", "s256")});
  append_all(env, other, 1, {put(1, "a", "o1")});
  st.compact(2);
  EXPECT_EQ(st.load_shard(1).records, (record_list{{"a", "s1"}}));
  EXPECT_EQ(st.load_shard(2).records, (record_list{{"a", "s2"}, {"b", "s2"}}));
  EXPECT_EQ(st.load_shard(256).records, (record_list{{"a", "s256"}}));
  EXPECT_EQ(other.load_shard(1).records, (record_list{{"a", "o1"}}));
  EXPECT_EQ(st.journal_length(1), 1u);
  EXPECT_EQ(st.journal_length(2), 0u);
  EXPECT_EQ(st.journal_length(256), 1u);
  EXPECT_TRUE(st.load_shard(3).records.empty());
}

TEST_F(persistence_store_fixture, read_journal_after_seq) {
  append_all(env, st, 4, random_entries(10, 3));
  auto tail = st.read_journal(4, 6);
  ASSERT_EQ(tail.size(), 4u);
  EXPECT_EQ(tail.front().seq, 7u);
  EXPECT_EQ(tail.back().seq, 10u);
  EXPECT_EQ(st.read_journal(4, 0).size(), 10u);
  EXPECT_TRUE(st.read_journal(4, 10).empty());
  EXPECT_TRUE(st.read_journal(4, UINT64_MAX).empty());
}

TEST_F(persistence_store_fixture, epoch_is_persisted) {
  journal_entry e = put(1, "k", "v");
  e.epoch = 17;
  append_all(env, st, 0, {e});
  auto entries = st.read_journal(0, 0);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].epoch, 17u);
}

TEST_F(persistence_store_fixture, seq_order_is_numeric_not_insertion) {
  // Big-endian keys: seq 256 sorts after seq 255, and entries appended out
  // of order are replayed in seq order.
  append_all(env, st, 0, {put(256, "k", "late"), put(255, "k", "early")});
  auto img = st.load_shard(0);
  EXPECT_EQ(img.last_seq, 256u);
  EXPECT_EQ(img.records, (record_list{{"k", "late"}}));
}

TEST_F(persistence_store_fixture, corrupt_entries_are_skipped) {
  append_all(env, st, 5, {put(1, "a", "1"), put(3, "c", "3")});
  {
    // Write garbage as journal entry 2 and as the meta record of shard 6.
    auto journal = env.open_db("svc.journal");
    auto meta = env.open_db("svc.meta");
    lmdb_txn txn{env, lmdb_txn::mode::write};
    std::string key{"\x00\x05\x00\x00\x00\x00\x00\x00\x00\x02", 10};
    txn.put(journal, key, "\xc1garbage");
    txn.put(meta, std::string{"\x00\x06", 2}, "\xdd\xff");
    txn.commit();
  }
  auto img = st.load_shard(5);
  EXPECT_EQ(img.records, (record_list{{"a", "1"}, {"c", "3"}}));
  EXPECT_EQ(img.last_seq, 3u);
  EXPECT_EQ(st.read_journal(5, 0).size(), 2u);
  EXPECT_EQ(st.load_shard(6).last_seq, 0u);
  EXPECT_EQ(st.compact(5), 3u);
  EXPECT_EQ(st.load_shard(5).records, img.records);
}

TEST_F(persistence_store_fixture, validate_rejects_bad_entries) {
  EXPECT_TRUE(st.validate(put(1, "k", "v")).empty());
  EXPECT_FALSE(st.validate(put(1, std::string(600, 'k'), "v")).empty());
  journal_entry bad{1, 0, {{9, "k", "v"}}};
  EXPECT_FALSE(st.validate(bad).empty());
}

TEST(persistence_store, survives_reopen) {
  temp_dir tmp;
  auto entries = random_entries(50, 5);
  {
    lmdb_env env{tmp.path(), 64, durability::sync};
    store st{env, "svc"};
    append_all(env, st, 1, {entries.begin(), entries.begin() + 25});
    st.compact(1);
    append_all(env, st, 1, {entries.begin() + 25, entries.end()});
  }
  lmdb_env env{tmp.path(), 64, durability::sync};
  store st{env, "svc"};
  auto img = st.load_shard(1);
  EXPECT_EQ(img.last_seq, 50u);
  EXPECT_EQ(img.records, apply_all(entries));
}
