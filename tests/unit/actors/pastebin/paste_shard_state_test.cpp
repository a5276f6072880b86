#include "troupe/pastebin/paste_shard_state.hpp"

#include <gtest/gtest.h>

#include "troupe/persistence/codec.hpp"

using namespace troupe;
using namespace troupe::pastebin;

namespace {

constexpr int64_t t0 = 1767225600; // 2026-01-01 00:00:00 UTC
constexpr auto paste = static_cast<uint8_t>(paste_kind::paste);
constexpr auto url = static_cast<uint8_t>(paste_kind::url);

paste_input input(std::string text, uint32_t minutes = 0,
                  uint8_t kind = paste) {
  return paste_input{std::move(text), minutes, kind, "1.2.3.4", t0};
}

/// Plans and applies, as the shard actor does.
bool create(paste_shard_state& st, const std::string& link,
            const paste_input& in, int64_t now = t0) {
  auto ops = st.plan_create(link, in, now);
  if (!ops)
    return false;
  for (auto& op : *ops)
    st.apply(op);
  return true;
}

} // namespace

TEST(paste_shard_state, create_then_read) {
  paste_shard_state st;
  ASSERT_TRUE(create(st, "abcdefg", input("hello", 60)));
  auto view = st.visit("abcdefg", paste, t0 + 1);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->contents, "hello");
  EXPECT_EQ(view->created_at, t0);
  EXPECT_EQ(view->expiration_minutes, 60u);
  EXPECT_FALSE(st.visit("zzzzzzz", paste, t0));
}

TEST(paste_shard_state, a_taken_link_conflicts_until_it_expires) {
  paste_shard_state st;
  ASSERT_TRUE(create(st, "abcdefg", input("one", 1)));
  EXPECT_FALSE(create(st, "abcdefg", input("two"), t0 + 59));
  EXPECT_TRUE(create(st, "abcdefg", input("two"), t0 + 60));
  EXPECT_EQ(st.visit("abcdefg", paste, t0 + 61)->contents, "two");
}

TEST(paste_shard_state, expiry_is_exact_to_the_second) {
  paste_shard_state st;
  ASSERT_TRUE(create(st, "abcdefg", input("x", 2)));
  EXPECT_TRUE(st.visit("abcdefg", paste, t0 + 119));
  EXPECT_FALSE(st.visit("abcdefg", paste, t0 + 120));
}

TEST(paste_shard_state, zero_expiration_never_expires) {
  paste_shard_state st;
  ASSERT_TRUE(create(st, "abcdefg", input("x", 0)));
  EXPECT_TRUE(st.visit("abcdefg", paste, t0 + 100LL * 365 * 86400));
  EXPECT_TRUE(st.plan_sweep(t0 + 100LL * 365 * 86400, 10).empty());
}

TEST(paste_shard_state, sweep_deletes_only_expired_and_is_bounded) {
  paste_shard_state st;
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(create(st, "exp000" + std::to_string(i), input("x", 1)));
  ASSERT_TRUE(create(st, "keepme0", input("y", 0)));
  ASSERT_TRUE(create(st, "later00", input("z", 10)));
  EXPECT_TRUE(st.plan_sweep(t0 + 59, 100).empty());
  auto ops = st.plan_sweep(t0 + 60, 4);
  EXPECT_EQ(ops.size(), 4u);
  ops = st.plan_sweep(t0 + 60, 100);
  ASSERT_EQ(ops.size(), 10u);
  for (auto& op : ops) {
    EXPECT_EQ(op.kind, persistence::journal_op::erase);
    st.apply(op);
  }
  EXPECT_EQ(st.size(), 2u);
  EXPECT_TRUE(st.visit("keepme0", paste, t0 + 60));
  EXPECT_TRUE(st.visit("later00", paste, t0 + 60));
}

TEST(paste_shard_state, kinds_do_not_mix) {
  paste_shard_state st;
  ASSERT_TRUE(create(st, "urlurl0", input("https://x.org", 0, url)));
  EXPECT_FALSE(st.visit("urlurl0", paste, t0));
  EXPECT_TRUE(st.visit("urlurl0", url, t0));
}

TEST(paste_shard_state, visits_count_per_month_and_rank) {
  paste_shard_state st;
  ASSERT_TRUE(create(st, "aaaaaaa", input("a")));
  ASSERT_TRUE(create(st, "bbbbbbb", input("b")));
  ASSERT_TRUE(create(st, "ccccccc", input("c")));
  for (int i = 0; i < 3; ++i)
    st.visit("bbbbbbb", paste, t0);
  st.visit("aaaaaaa", paste, t0);
  st.visit("ccccccc", paste, t0);
  st.visit("aaaaaaa", paste, t0 + 31 * 86400); // February
  auto jan = st.stats("2026-01", "", 10);
  ASSERT_EQ(jan.size(), 3u);
  EXPECT_EQ(jan[0].shortlink, "bbbbbbb");
  EXPECT_EQ(jan[0].hits, 3u);
  EXPECT_EQ(jan[1].shortlink, "aaaaaaa"); // tie with ccccccc: by name
  EXPECT_EQ(jan[2].shortlink, "ccccccc");
  EXPECT_EQ(st.stats("2026-01", "", 1).size(), 1u);
  EXPECT_EQ(st.stats("2026-02", "aaaaaaa", 10).at(0).hits, 1u);
  EXPECT_TRUE(st.stats("2026-03", "", 10).empty());
}

TEST(paste_shard_state, restore_from_flushed_ops_gives_the_same_state) {
  paste_shard_state st;
  persistence::shard_image image;
  auto keep = [&](const std::vector<persistence::journal_op>& ops) {
    for (auto& op : ops) {
      st.apply(op);
      image.records.emplace_back(op.key, op.value);
    }
  };
  keep(*st.plan_create("aaaaaaa", input("alpha", 5), t0));
  keep(*st.plan_create("bbbbbbb", input("beta"), t0));
  st.visit("aaaaaaa", paste, t0);
  st.visit("aaaaaaa", paste, t0);
  EXPECT_EQ(st.dirty_visits(), 1u);
  keep(st.dirty_visit_ops());
  st.clear_dirty();
  paste_shard_state copy;
  copy.restore(image);
  EXPECT_EQ(copy.size(), 2u);
  EXPECT_EQ(copy.stats("2026-01", "aaaaaaa", 1).at(0).hits, 2u);
  EXPECT_EQ(copy.visit("aaaaaaa", paste, t0 + 1)->contents, "alpha");
  EXPECT_EQ(copy.plan_sweep(t0 + 300, 10).size(), 1u);
}

TEST(paste_shard_state, undecodable_records_are_skipped) {
  paste_shard_state st;
  persistence::shard_image image;
  image.records.emplace_back("p:badbad0", std::string("\x92\x01", 2));
  image.records.emplace_back(
      "p:goodone", persistence::encode(paste_record{"ok", t0, 0, paste}));
  st.restore(image);
  EXPECT_EQ(st.size(), 1u);
}

TEST(paste_shard_state, month_of_is_utc) {
  EXPECT_EQ(month_of(t0), "2026-01");
  EXPECT_EQ(month_of(t0 - 1), "2025-12");
}
