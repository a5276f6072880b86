// The inverted index of a search shard: AND queries, newest first, limit
// and max_id paging, late and repeated tweets.
#include "troupe/twitter/search_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "troupe/twitter/text.hpp"

using namespace troupe::twitter;
using id_list = std::vector<uint64_t>;

TEST(twitterSearchIndex, FindsTweetsWithEveryTermNewestFirst) {
  search_index idx;
  idx.add(1, tokenize("Actors in C++"));
  idx.add(2, tokenize("actors and shards"));
  idx.add(3, tokenize("<b>Shards</b> of actors!"));
  EXPECT_EQ(idx.query(tokenize("actors"), 10), (id_list{3, 2, 1}));
  EXPECT_EQ(idx.query(tokenize("ACTORS shards"), 10), (id_list{3, 2}));
  EXPECT_EQ(idx.query(tokenize("actors missing"), 10), id_list{});
  EXPECT_EQ(idx.query({}, 10), id_list{});
}

TEST(twitterSearchIndex, LimitAndMaxIdPage) {
  search_index idx;
  for (uint64_t id = 1; id <= 50; ++id)
    idx.add(id, {"x"});
  EXPECT_EQ(idx.query({"x"}, 3), (id_list{50, 49, 48}));
  EXPECT_EQ(idx.query({"x"}, 3, 48), (id_list{47, 46, 45}));
  EXPECT_EQ(idx.query({"x"}, 0), id_list{});
}

TEST(twitterSearchIndex, LateAndRepeatedTweetsAreIndexedOnce) {
  search_index idx;
  idx.add(10, {"a"});
  idx.add(5, {"a"});
  idx.add(10, {"a"});
  EXPECT_EQ(idx.query({"a"}, 10), (id_list{10, 5}));
  EXPECT_EQ(idx.posting_count(), 2u);
}

TEST(twitterSearchIndex, MatchesABruteForceScan) {
  std::mt19937 rng{7};
  search_index idx;
  std::map<uint64_t, std::set<std::string>> tweets;
  for (uint64_t id = 1; id <= 2000; ++id) {
    std::vector<std::string> terms;
    for (int k = 0; k < 4; ++k)
      terms.push_back("t" + std::to_string(rng() % 12));
    idx.add(id, terms);
    tweets[id].insert(terms.begin(), terms.end());
  }
  for (int q = 0; q < 200; ++q) {
    std::vector<std::string> terms{"t" + std::to_string(rng() % 12),
                                   "t" + std::to_string(rng() % 12)};
    uint64_t max_id = rng() % 2 ? 0 : 1 + rng() % 2000;
    id_list want;
    for (auto i = tweets.rbegin(); i != tweets.rend() && want.size() < 25; ++i)
      if ((max_id == 0 || i->first < max_id) && i->second.count(terms[0]) &&
          i->second.count(terms[1]))
        want.push_back(i->first);
    ASSERT_EQ(idx.query(terms, 25, max_id), want) << "query " << q;
  }
}
