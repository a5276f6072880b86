#include "troupe/persistence/lmdb_env.hpp"

#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "persistence/temp_dir.hpp"

using namespace troupe::persistence;
using troupe::config::durability;
using troupe::persistence::testing::temp_dir;

namespace {

using kv_list = std::vector<std::pair<std::string, std::string>>;

kv_list scan(lmdb_env& env, MDB_dbi dbi, std::string_view prefix,
             std::string_view from = {}) {
  kv_list result;
  lmdb_txn txn{env, lmdb_txn::mode::read};
  txn.for_each(
      dbi, prefix,
      [&](std::string_view k, std::string_view v) {
        result.emplace_back(k, v);
        return true;
      },
      from);
  return result;
}

} // namespace

TEST(persistence_lmdb_env, creates_directory_and_opens) {
  temp_dir tmp;
  auto dir = tmp.sub("a/b/env");
  lmdb_env env{dir, 16, durability::sync};
  EXPECT_TRUE(std::filesystem::exists(dir + "/data.mdb"));
  EXPECT_EQ(env.dir(), dir);
  EXPECT_EQ(env.level(), durability::sync);
  EXPECT_GT(env.used_bytes(), 0u);
  EXPECT_GE(env.max_key_size(), 500u);
  env.sync();
}

TEST(persistence_lmdb_env, open_db_is_cached) {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 16, durability::group};
  auto a = env.open_db("a");
  auto b = env.open_db("b");
  EXPECT_NE(a, b);
  EXPECT_EQ(env.open_db("a"), a);
}

TEST(persistence_lmdb_txn, put_get_del) {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 16, durability::sync};
  auto dbi = env.open_db("t");
  {
    lmdb_txn txn{env, lmdb_txn::mode::write};
    EXPECT_TRUE(txn.writable());
    txn.put(dbi, "k1", "v1");
    txn.put(dbi, "k2", std::string("v\0 2", 4));
    EXPECT_EQ(txn.get(dbi, "k1"), "v1"); // Own writes are visible.
    txn.put(dbi, "k1", "v1b");
    txn.commit();
    EXPECT_FALSE(txn.active());
  }
  {
    lmdb_txn txn{env, lmdb_txn::mode::read};
    EXPECT_FALSE(txn.writable());
    EXPECT_EQ(txn.get(dbi, "k1"), "v1b");
    EXPECT_EQ(txn.get(dbi, "k2"), std::string("v\0 2", 4));
    EXPECT_EQ(txn.get(dbi, "nope"), std::nullopt);
    EXPECT_THROW(txn.put(dbi, "x", "y"), lmdb_error); // Read-only.
  }
  {
    lmdb_txn txn{env, lmdb_txn::mode::write};
    EXPECT_TRUE(txn.del(dbi, "k1"));
    EXPECT_FALSE(txn.del(dbi, "k1"));
    txn.commit();
  }
  lmdb_txn txn{env, lmdb_txn::mode::read};
  EXPECT_EQ(txn.get(dbi, "k1"), std::nullopt);
  EXPECT_TRUE(txn.get(dbi, "k2"));
}

TEST(persistence_lmdb_txn, uncommitted_write_is_aborted_by_destructor) {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 16, durability::sync};
  auto dbi = env.open_db("t");
  {
    lmdb_txn txn{env, lmdb_txn::mode::write};
    txn.put(dbi, "ghost", "boo");
    // No commit.
  }
  {
    lmdb_txn txn{env, lmdb_txn::mode::read};
    EXPECT_EQ(txn.get(dbi, "ghost"), std::nullopt);
  }
  // The writer lock was released: another write txn can begin.
  lmdb_txn txn{env, lmdb_txn::mode::write};
  txn.put(dbi, "real", "x");
  txn.commit();
  lmdb_txn check{env, lmdb_txn::mode::read};
  EXPECT_EQ(check.get(dbi, "real"), "x");
}

TEST(persistence_lmdb_txn, explicit_abort_and_move) {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 16, durability::sync};
  auto dbi = env.open_db("t");
  lmdb_txn a{env, lmdb_txn::mode::write};
  a.put(dbi, "k", "v");
  lmdb_txn b{std::move(a)};
  EXPECT_FALSE(a.active());
  EXPECT_TRUE(b.active());
  b.abort();
  EXPECT_FALSE(b.active());
  EXPECT_THROW(b.commit(), lmdb_error);
  lmdb_txn r{env, lmdb_txn::mode::read};
  EXPECT_EQ(r.get(dbi, "k"), std::nullopt);
}

TEST(persistence_lmdb_txn, invalid_keys_throw) {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 16, durability::sync};
  auto dbi = env.open_db("t");
  lmdb_txn txn{env, lmdb_txn::mode::write};
  EXPECT_THROW(txn.put(dbi, "", "v"), lmdb_error);
  try {
    txn.put(dbi, std::string(env.max_key_size() + 1, 'k'), "v");
    FAIL() << "expected lmdb_error";
  } catch (const lmdb_error& e) {
    EXPECT_EQ(e.code(), MDB_BAD_VALSIZE);
    EXPECT_NE(std::string{e.what()}.find("mdb_put"), std::string::npos);
  }
}

TEST(persistence_lmdb_txn, prefix_iteration) {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 16, durability::sync};
  auto dbi = env.open_db("t");
  {
    lmdb_txn txn{env, lmdb_txn::mode::write};
    for (auto k : {"a1", "b1", "b3", "b2", "ba", "c", "b"})
      txn.put(dbi, k, std::string{"v"} + k);
    txn.commit();
  }
  EXPECT_EQ(scan(env, dbi, "b"), (kv_list{{"b", "vb"},
                                          {"b1", "vb1"},
                                          {"b2", "vb2"},
                                          {"b3", "vb3"},
                                          {"ba", "vba"}}));
  EXPECT_EQ(scan(env, dbi, "b", "b2"),
            (kv_list{{"b2", "vb2"}, {"b3", "vb3"}, {"ba", "vba"}}));
  EXPECT_EQ(scan(env, dbi, "b", "a"), scan(env, dbi, "b")); // from < prefix
  EXPECT_TRUE(scan(env, dbi, "d").empty());
  EXPECT_TRUE(scan(env, dbi, "b", "bz").empty());
  EXPECT_EQ(scan(env, dbi, "").size(), 7u);
  // The visitor can stop early.
  lmdb_txn txn{env, lmdb_txn::mode::read};
  size_t seen = 0;
  auto n = txn.for_each(
      dbi, "", [&](std::string_view, std::string_view) { return ++seen < 3; });
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(seen, 3u);
}

TEST(persistence_lmdb_env, data_survives_reopen) {
  temp_dir tmp;
  for (auto level : {durability::sync, durability::group}) {
    auto dir = tmp.sub(troupe::config::to_string(level));
    {
      lmdb_env env{dir, 16, level};
      auto dbi = env.open_db("persist");
      lmdb_txn txn{env, lmdb_txn::mode::write};
      for (int i = 0; i < 100; ++i)
        txn.put(dbi, "key" + std::to_string(i), std::string(100, 'x'));
      txn.commit();
      if (level != durability::sync)
        env.sync();
    }
    lmdb_env env{dir, 16, level};
    auto dbi = env.open_db("persist");
    EXPECT_EQ(scan(env, dbi, "key").size(), 100u);
    lmdb_txn txn{env, lmdb_txn::mode::read};
    EXPECT_EQ(txn.get(dbi, "key42"), std::string(100, 'x'));
  }
}

TEST(persistence_lmdb_txn, read_txn_usable_from_another_thread) {
  // MDB_NOTLS: a read txn is not bound to the thread that began it.
  temp_dir tmp;
  lmdb_env env{tmp.path(), 16, durability::sync};
  auto dbi = env.open_db("t");
  {
    lmdb_txn txn{env, lmdb_txn::mode::write};
    txn.put(dbi, "k", "v");
    txn.commit();
  }
  lmdb_txn txn{env, lmdb_txn::mode::read};
  std::optional<std::string> got;
  std::thread t{[&] { got = txn.get(dbi, "k"); }};
  t.join();
  EXPECT_EQ(got, "v");
}

TEST(persistence_lmdb_env, map_full_throws) {
  temp_dir tmp;
  lmdb_env env{tmp.path(), 1, durability::group};
  auto dbi = env.open_db("t");
  auto fill = [&] {
    lmdb_txn txn{env, lmdb_txn::mode::write};
    for (int i = 0; i < 10000; ++i)
      txn.put(dbi, "key" + std::to_string(i), std::string(1000, 'x'));
    txn.commit();
  };
  try {
    fill();
    FAIL() << "expected lmdb_error";
  } catch (const lmdb_error& e) {
    EXPECT_EQ(e.code(), MDB_MAP_FULL);
  }
  EXPECT_GT(env.used_bytes(), 0u);
}
