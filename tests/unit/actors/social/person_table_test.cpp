// The person server's pure logic: creation and naming, both halves of
// friendships through ops, imports, and a restore from the records the
// ops leave on disk giving the same table.

#include "troupe/social/person_table.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace troupe::social;
using troupe::persistence::journal_op;
using troupe::persistence::shard_image;

namespace {

/// What a store's snapshot holds after `ops`: key -> value, sorted.
void fold(std::map<std::string, std::string>& disk,
          const std::vector<journal_op>& ops) {
  for (const auto& x : ops)
    if (x.kind == journal_op::put)
      disk[x.key] = x.value;
    else
      disk.erase(x.key);
}

shard_image image_of(const std::map<std::string, std::string>& disk) {
  shard_image img;
  img.records.assign(disk.begin(), disk.end());
  return img;
}

struct table_fixture : ::testing::Test {
  void run(const std::vector<journal_op>& ops) {
    table.apply(ops);
    fold(disk, ops);
  }
  std::vector<uint32_t> friends_of(person_id id) {
    std::vector<uint32_t> counts;
    std::vector<person_id> out;
    table.neighbors({id}, counts, out);
    return out;
  }
  person_table table;
  std::map<std::string, std::string> disk;
};

} // namespace

TEST_F(table_fixture, create_names_once) {
  auto ops = table.plan_create(7, "Ann");
  ASSERT_TRUE(ops);
  run(*ops);
  ASSERT_TRUE(table.view(7));
  EXPECT_EQ(table.view(7)->name, "Ann");
  EXPECT_FALSE(table.plan_create(7, "Bob")); // conflict
  EXPECT_FALSE(table.view(8));
}

TEST_F(table_fixture, links_keep_friend_lists_sorted_and_unique) {
  run(*table.plan_create(1, "A"));
  for (person_id f : {9u, 3u, 5u, 3u}) {
    auto ops = table.plan_link(1, f);
    ASSERT_TRUE(ops);
    run(*ops);
  }
  EXPECT_EQ(friends_of(1), (std::vector<uint32_t>{3, 5, 9}));
  EXPECT_TRUE(table.plan_link(1, 5)->empty()); // idempotent
  EXPECT_FALSE(table.plan_link(2, 1));         // no person 2
  run(*table.plan_unlink(1, 5));
  EXPECT_EQ(friends_of(1), (std::vector<uint32_t>{3, 9}));
  EXPECT_TRUE(table.plan_unlink(1, 5)->empty()); // idempotent
  EXPECT_EQ(table.halves(), 2u);
  EXPECT_EQ(table.view(1)->friends, 2u);
}

TEST_F(table_fixture, import_creates_people_and_skips_what_exists) {
  run(*table.plan_create(1, "A"));
  run(*table.plan_link(1, 2));
  auto plan = table.plan_import({1, 2, 1, 4, 1, 3, 6, 1, 6, 1, 5, 5, 0, 3});
  EXPECT_EQ(plan.new_halves, 3u); // 1-4, 1-3, 6-1 (1-2 exists, dups, bad)
  EXPECT_EQ(plan.new_people, 1u); // 6 (5-5 and 0-3 are skipped)
  run(plan.ops);
  EXPECT_EQ(friends_of(1), (std::vector<uint32_t>{2, 3, 4}));
  EXPECT_EQ(friends_of(6), (std::vector<uint32_t>{1}));
  EXPECT_EQ(table.view(6)->name, "");
  EXPECT_EQ(table.people(), 2u);
  // A person created by an import may be named later, once.
  run(*table.plan_create(6, "Fay"));
  EXPECT_EQ(table.view(6)->name, "Fay");
  EXPECT_FALSE(table.plan_create(6, "Gus"));
}

TEST_F(table_fixture, restore_from_records_gives_the_same_table) {
  run(*table.plan_create(300, "C"));
  std::vector<person_id> pairs;
  for (person_id i = 1; i <= 200; ++i) {
    pairs.push_back(300);
    pairs.push_back(1000 - i);
    pairs.push_back(i);
    pairs.push_back(300);
  }
  run(table.plan_import(pairs).ops);
  run(*table.plan_unlink(300, 900));
  person_table copy;
  copy.restore(image_of(disk));
  EXPECT_EQ(copy.people(), table.people());
  EXPECT_EQ(copy.halves(), table.halves());
  for (person_id id : {300u, 1u, 200u}) {
    std::vector<uint32_t> c1, c2;
    std::vector<person_id> f1, f2;
    table.neighbors({id}, c1, f1);
    copy.neighbors({id}, c2, f2);
    EXPECT_EQ(f1, f2) << id;
    EXPECT_EQ(table.view(id)->name, copy.view(id)->name);
  }
  // Pairs hold one half each: 999 is only named as a friend.
  EXPECT_FALSE(copy.view(999));
  EXPECT_FALSE(copy.are_friends(300, 900));
  EXPECT_TRUE(copy.are_friends(300, 899));
}

TEST(person_table, keys_sort_friend_lists_by_id) {
  EXPECT_LT(person_table::friend_key(1, 255), person_table::friend_key(1, 256));
  EXPECT_LT(person_table::friend_key(1, 0xffffffff),
            person_table::friend_key(2, 1));
  EXPECT_EQ(person_table::name_key(0x01020304), std::string("n\1\2\3\4"));
}

TEST_F(table_fixture, people_are_created_once_without_a_name) {
  run(*table.plan_create(2, "Bo"));
  uint64_t created = 0;
  auto ops = table.plan_people({5, 2, 5, 9, 0}, created);
  EXPECT_EQ(created, 2u); // 5 and 9; 2 exists, 0 is no person
  run(ops);
  EXPECT_EQ(table.view(5)->name, "");
  EXPECT_EQ(table.view(2)->name, "Bo");
  EXPECT_TRUE(table.plan_people({5, 9}, created).empty());
  EXPECT_EQ(created, 0u);
}
