// Catch-up between two nodes' stores: positions, journal tails when the
// receiver's history is a prefix of the sender's, whole state otherwise
// (compacted tail, diverged epoch), and installing either.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "persistence/temp_dir.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/persistence/store.hpp"

using namespace troupe::persistence;
using troupe::config::durability;
using troupe::persistence::testing::temp_dir;

namespace {

using record_list = std::vector<std::pair<std::string, std::string>>;

journal_entry put(uint64_t seq, uint64_t epoch, std::string key,
                  std::string value) {
  return journal_entry{seq, epoch, {{journal_op::put, key, value}}};
}

/// One node's store.
struct node_store {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 64, durability::group};
  store st{env, "svc"};

  void append(std::vector<journal_entry> entries, uint16_t shard = 0) {
    lmdb_txn txn{env, lmdb_txn::mode::write};
    for (auto& e : entries)
      st.append(txn, shard, e);
    txn.commit();
  }
};

/// Sends `from`'s shard 0 to `to` through an encoded transfer, as nodes do.
shard_transfer sync(node_store& from, node_store& to) {
  auto transfer = from.st.read_transfer(0, to.st.position(0));
  shard_transfer decoded;
  EXPECT_TRUE(decode(encode(transfer), decoded));
  to.st.install(0, decoded);
  return transfer;
}

class persistence_transfer : public ::testing::Test {
protected:
  node_store primary;
  node_store backup;
};

} // namespace

TEST_F(persistence_transfer, position_is_the_last_entry_then_the_snapshot) {
  EXPECT_EQ(primary.st.position(0), (log_position{0, 0}));
  primary.append({put(1, 7, "a", "1"), put(2, 9, "b", "2")});
  EXPECT_EQ(primary.st.position(0), (log_position{9, 2}));
  primary.st.compact(0);
  EXPECT_EQ(primary.st.position(0), (log_position{9, 2}));
  EXPECT_EQ(primary.st.load_shard(0).last_epoch, 9u);
}

TEST_F(persistence_transfer, positions_order_by_epoch_first) {
  EXPECT_LT((log_position{1, 100}), (log_position{2, 1}));
  EXPECT_LT((log_position{2, 1}), (log_position{2, 2}));
  EXPECT_FALSE((log_position{2, 2}) < (log_position{2, 2}));
}

TEST_F(persistence_transfer, a_backup_behind_gets_the_journal_tail) {
  primary.append({put(1, 1, "a", "1"), put(2, 1, "b", "2")});
  backup.append({put(1, 1, "a", "1")});
  primary.append({put(3, 1, "c", "3")});
  auto t = sync(primary, backup);
  EXPECT_FALSE(t.full);
  ASSERT_EQ(t.entries.size(), 2u);
  EXPECT_EQ(t.entries[0].seq, 2u);
  EXPECT_EQ(backup.st.position(0), (log_position{1, 3}));
  EXPECT_EQ(backup.st.load_shard(0).records, primary.st.load_shard(0).records);
}

TEST_F(persistence_transfer, an_empty_backup_gets_the_whole_journal) {
  primary.append({put(1, 1, "a", "1"), put(2, 1, "b", "2")});
  auto t = sync(primary, backup);
  EXPECT_FALSE(t.full);
  EXPECT_EQ(t.entries.size(), 2u);
  EXPECT_EQ(backup.st.load_shard(0).records,
            (record_list{{"a", "1"}, {"b", "2"}}));
}

TEST_F(persistence_transfer, a_compacted_tail_sends_the_whole_state) {
  primary.append({put(1, 1, "a", "1"), put(2, 1, "b", "2")});
  backup.append({put(1, 1, "a", "1")});
  primary.st.compact(0); // seq 2 is folded into the snapshot
  primary.append({put(3, 1, "a", "3")});
  auto t = sync(primary, backup);
  EXPECT_TRUE(t.full);
  EXPECT_EQ(backup.st.position(0), (log_position{1, 3}));
  EXPECT_EQ(backup.st.load_shard(0).records,
            (record_list{{"a", "3"}, {"b", "2"}}));
  // The installed state is a snapshot; later entries apply on top.
  backup.append({put(4, 1, "c", "4")});
  EXPECT_EQ(backup.st.load_shard(0).records.size(), 3u);
}

// A deposed primary wrote entries the new primary never saw (same seqs, an
// older epoch): they are not a prefix, so its state is replaced.
TEST_F(persistence_transfer, a_diverged_history_is_replaced_whole) {
  primary.append({put(1, 1, "a", "1"), put(2, 2, "b", "new")});
  backup.append(
      {put(1, 1, "a", "1"), put(2, 1, "x", "stale"), put(3, 1, "y", "stale")});
  auto t = sync(primary, backup);
  EXPECT_TRUE(t.full);
  EXPECT_EQ(backup.st.position(0), (log_position{2, 2}));
  EXPECT_EQ(backup.st.load_shard(0).records,
            (record_list{{"a", "1"}, {"b", "new"}}));
  EXPECT_EQ(backup.st.journal_length(0), 0u);
}

TEST_F(persistence_transfer, an_up_to_date_copy_gets_an_empty_tail) {
  primary.append({put(1, 1, "a", "1")});
  backup.append({put(1, 1, "a", "1")});
  auto t = primary.st.read_transfer(0, backup.st.position(0));
  EXPECT_FALSE(t.full);
  EXPECT_TRUE(t.entries.empty());
  EXPECT_EQ(t.to, backup.st.position(0));
}

TEST_F(persistence_transfer, other_shards_are_left_alone) {
  backup.append({put(1, 1, "keep", "me")}, 5);
  primary.append({put(1, 2, "a", "1")});
  backup.append({put(1, 1, "x", "stale")});
  sync(primary, backup);
  EXPECT_EQ(backup.st.load_shard(5).records, (record_list{{"keep", "me"}}));
}

TEST_F(persistence_transfer, a_truncated_transfer_does_not_decode) {
  primary.append({put(1, 1, "a", "1"), put(2, 1, "b", "2")});
  auto bytes = encode(primary.st.read_transfer(0, {}));
  for (size_t n = 0; n < bytes.size(); ++n) {
    shard_transfer out;
    EXPECT_FALSE(decode(std::string_view{bytes}.substr(0, n), out)) << n;
  }
}
