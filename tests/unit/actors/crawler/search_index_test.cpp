// One search shard's documents: replace and erase bookkeeping, ranking
// under global statistics, snippets, merging and journal keys.

#include "troupe/crawler/search_index.hpp"

#include <gtest/gtest.h>

#include "troupe/utf8.hpp"

#include "troupe/persistence/codec.hpp"

using namespace troupe::crawler;

namespace {

using troupe::valid_utf8;

/// A document with `url`, `title` and `text`.
document doc(std::string url, std::string title, std::string text) {
  document d;
  d.url = std::move(url);
  d.title = std::move(title);
  d.text = std::move(text);
  return d;
}

/// A shard holding a small corpus.
search_index corpus() {
  search_index idx;
  idx.put(doc("http://a/1", "Cats", "the cat sat on the mat"));
  idx.put(doc("http://a/2", "Dogs", "the dog sat on the log"));
  idx.put(doc("http://a/3", "", "cat and dog"));
  idx.put(doc("http://a/4", "Toys", "the cat chased the cat toy"));
  idx.put(doc("http://a/5", "Birds", "birds fly"));
  return idx;
}

/// Searches `idx` for `text` with its own statistics.
std::vector<search_hit> run(const search_index& idx, std::string_view text,
                            size_t limit = 10) {
  auto q = query::parse(text);
  EXPECT_TRUE(q.has_value()) << text;
  if (!q)
    return {};
  return idx.search(*q, limit, idx.stats(positive_terms(*q)));
}

/// The URLs of `hits`, in order.
std::vector<std::string> urls(const std::vector<search_hit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits)
    out.push_back(h.url);
  return out;
}

/// `n` filler words ("w0 w1 ...").
std::string filler(int n, const std::string& prefix = "w") {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += (i ? " " : "") + prefix + std::to_string(i);
  return out;
}

const std::string ellipsis = "\xE2\x80\xA6";

} // namespace

TEST(CrawlerSearchIndex, PutFindErase) {
  search_index idx;
  EXPECT_EQ(idx.put(doc("http://x/", "Hello World", "hello there")),
            (std::vector<std::string>{"hello", "there", "world"}));
  ASSERT_NE(idx.find("http://x/"), nullptr);
  EXPECT_EQ(idx.find("http://x/")->title, "Hello World");
  EXPECT_EQ(idx.find("http://y/"), nullptr);
  EXPECT_EQ(idx.size(), 1u);
  EXPECT_TRUE(idx.erase("http://y/").empty());
  EXPECT_EQ(idx.erase("http://x/"),
            (std::vector<std::string>{"hello", "there", "world"}));
  EXPECT_EQ(idx.size(), 0u);
  EXPECT_EQ(idx.find("http://x/"), nullptr);
  EXPECT_TRUE(run(idx, "hello").empty());
}

TEST(CrawlerSearchIndex, ReplaceKeepsOneDocumentAndReportsChangedTerms) {
  search_index idx;
  idx.put(doc("http://x/", "Old", "apple banana"));
  auto changed = idx.put(doc("http://x/", "New", "banana cherry"));
  EXPECT_EQ(changed, (std::vector<std::string>{"apple", "banana", "cherry",
                                               "new", "old"}));
  EXPECT_EQ(idx.size(), 1u);
  EXPECT_EQ(idx.stats({"banana"}).docs, 1u);
  EXPECT_EQ(idx.stats({"apple"}).df, (std::vector<uint64_t>{0}));
  EXPECT_TRUE(run(idx, "apple").empty());
  EXPECT_EQ(urls(run(idx, "cherry")), (std::vector<std::string>{"http://x/"}));
  EXPECT_EQ(idx.find("http://x/")->title, "New");
}

TEST(CrawlerSearchIndex, SearchRanksACorpus) {
  auto idx = corpus();
  auto hits = run(idx, "cat");
  // "Cats" is not "cat": the title of /1 adds nothing.
  EXPECT_EQ(urls(hits), (std::vector<std::string>{"http://a/4", "http://a/3",
                                                  "http://a/1"}));
  EXPECT_EQ(hits[0].title, "Toys");
  EXPECT_EQ(hits[1].title, "http://a/3"); // no title: the URL
  EXPECT_EQ(hits[0].snippet, "the cat chased the cat toy");
  EXPECT_GT(hits[0].score, hits[1].score);
  EXPECT_EQ(urls(run(idx, "cat", 1)), (std::vector<std::string>{"http://a/4"}));
  EXPECT_TRUE(run(idx, "cat", 0).empty());
  EXPECT_TRUE(run(idx, "zebra").empty());
}

TEST(CrawlerSearchIndex, TitleTermsMatch) {
  auto idx = corpus();
  EXPECT_EQ(urls(run(idx, "toys")), (std::vector<std::string>{"http://a/4"}));
}

TEST(CrawlerSearchIndex, ExcludedTermsRemoveDocuments) {
  auto idx = corpus();
  EXPECT_EQ(urls(run(idx, "cat -the")),
            (std::vector<std::string>{"http://a/3"}));
  EXPECT_EQ(urls(run(idx, "cat OR dog -sat -toy")),
            (std::vector<std::string>{"http://a/3"}));
}

TEST(CrawlerSearchIndex, EqualScoresGoByUrl) {
  search_index idx;
  idx.put(doc("http://b/", "", "same words"));
  idx.put(doc("http://c/", "", "same words"));
  idx.put(doc("http://a/", "", "same words"));
  EXPECT_EQ(urls(run(idx, "same", 2)),
            (std::vector<std::string>{"http://a/", "http://b/"}));
}

TEST(CrawlerSearchIndex, ShardsWithGlobalStatsMatchOneShard) {
  auto whole = corpus();
  search_index shards[2];
  int i = 0;
  for (auto url :
       {"http://a/1", "http://a/2", "http://a/3", "http://a/4", "http://a/5"})
    shards[i++ % 2].put(*whole.find(url));
  auto q = *query::parse("cat OR dog");
  corpus_stats global;
  for (const auto& shard : shards)
    add_stats(global, shard.stats(positive_terms(q)));
  auto merged = merge_hits(
      {shards[0].search(q, 10, global), shards[1].search(q, 10, global)}, 10);
  auto expected = whole.search(q, 10, whole.stats(positive_terms(q)));
  ASSERT_EQ(urls(merged), urls(expected));
  for (size_t k = 0; k < merged.size(); ++k)
    EXPECT_NEAR(merged[k].score, expected[k].score, 1e-12);
}

TEST(CrawlerSearchIndex, MemoryBytesTracksContent) {
  search_index idx;
  EXPECT_EQ(idx.memory_bytes(), 0u);
  idx.put(doc("http://x/", "T", std::string(1000, 'a') + " b c"));
  auto one = idx.memory_bytes();
  EXPECT_GT(one, 1000u);
  idx.put(doc("http://x/", "T", std::string(1000, 'a') + " b c"));
  EXPECT_EQ(idx.memory_bytes(), one);
  idx.erase("http://x/");
  EXPECT_EQ(idx.memory_bytes(), 0u);
}

TEST(CrawlerSearchIndex, DocumentAndHitRoundTripThroughMsgpack) {
  auto d = doc("http://x/", "T", "text");
  d.simhash = 0xFEDCBA9876543210ull;
  d.fetched_ms = 1234567890123;
  document back;
  ASSERT_TRUE(
      troupe::persistence::decode(troupe::persistence::encode(d), back));
  EXPECT_EQ(back.url, d.url);
  EXPECT_EQ(back.text, d.text);
  EXPECT_EQ(back.simhash, d.simhash);
  EXPECT_EQ(back.fetched_ms, d.fetched_ms);
  search_hit h{"u", "t", "s", 1.5};
  search_hit hb;
  ASSERT_TRUE(troupe::persistence::decode(troupe::persistence::encode(h), hb));
  EXPECT_EQ(hb.url, "u");
  EXPECT_EQ(hb.score, 1.5);
  EXPECT_FALSE(troupe::persistence::decode("\xc1", back));
}

TEST(CrawlerSnippet, ShortTextIsWholeWithWhitespaceCollapsed) {
  EXPECT_EQ(snippet("  a cat\n\n  sat  ", {"cat"}), "a cat sat");
  EXPECT_EQ(snippet("", {"cat"}), "");
}

TEST(CrawlerSnippet, TermInTheMiddle) {
  auto text = filler(60) + " the cat sat " + filler(60, "v");
  auto s = snippet(text, {"cat"}, 100);
  EXPECT_EQ(s.rfind(ellipsis, 0), 0u) << s;
  EXPECT_EQ(s.substr(s.size() - ellipsis.size()), ellipsis) << s;
  EXPECT_NE(s.find(" cat "), std::string::npos) << s;
  EXPECT_LE(s.size(), 100 + 2 * ellipsis.size());
  EXPECT_GE(s.size(), 80u);
  // Cut at word boundaries: every word shown is whole.
  auto inner = s.substr(ellipsis.size(), s.size() - 2 * ellipsis.size());
  EXPECT_NE(text.find(inner), std::string::npos);
  EXPECT_EQ(text[text.find(inner) - 1], ' ');
  EXPECT_EQ(text[text.find(inner) + inner.size()], ' ');
}

TEST(CrawlerSnippet, TermAtTheStart) {
  auto text = "cat " + filler(100);
  auto s = snippet(text, {"cat"}, 100);
  EXPECT_EQ(s.rfind("cat w0 w1", 0), 0u) << s;
  EXPECT_EQ(s.substr(s.size() - ellipsis.size()), ellipsis);
}

TEST(CrawlerSnippet, TermAbsentGivesTheStart) {
  auto text = filler(100);
  auto s = snippet(text, {"zebra"}, 50);
  EXPECT_EQ(s.rfind("w0 w1", 0), 0u) << s;
  EXPECT_EQ(s.substr(s.size() - ellipsis.size()), ellipsis);
  EXPECT_LE(s.size(), 50 + ellipsis.size());
}

TEST(CrawlerSnippet, TermNearTheEndShowsTheEnd) {
  auto text = filler(100) + " cat end";
  auto s = snippet(text, {"cat"}, 100);
  EXPECT_EQ(s.rfind(ellipsis, 0), 0u);
  EXPECT_EQ(s.substr(s.size() - 7), "cat end");
  EXPECT_GE(s.size(), 80u);
}

TEST(CrawlerSnippet, NeverCutsInsideUtf8) {
  // "é" (2 bytes) and "日本" (3 bytes each), with and without spaces.
  std::string spaced, solid;
  for (int i = 0; i < 80; ++i) {
    spaced += "\xC3\xA9t\xC3\xA9 ";
    solid += "\xE6\x97\xA5\xE6\x9C\xAC";
  }
  for (size_t max = 10; max < 60; ++max) {
    for (const auto& text :
         {spaced, solid, spaced + " cat " + solid, solid + " cat " + spaced}) {
      auto s = snippet(text, {"cat"}, max);
      EXPECT_TRUE(valid_utf8(s)) << max << ": " << s;
      EXPECT_LE(s.size(), max + 2 * ellipsis.size());
    }
  }
}

TEST(CrawlerSnippet, CaseInsensitive) {
  auto text = filler(60) + " The CAT sat " + filler(60, "v");
  auto s = snippet(text, {"cat"}, 60);
  EXPECT_NE(s.find("CAT"), std::string::npos) << s;
}

TEST(CrawlerSnippet, WholeWordsOnly) {
  auto text = "catalog " + filler(60) + " cat " + filler(60, "v");
  auto s = snippet(text, {"cat"}, 60);
  EXPECT_EQ(s.find("catalog"), std::string::npos) << s;
  EXPECT_NE(s.find(" cat "), std::string::npos) << s;
  // Punctuation separates words as in terms_of; UTF-8 bytes do not.
  auto glued = "\xC3\xA9"
               "cat " +
               filler(60) + " (cat) " + filler(60, "v");
  auto g = snippet(glued, {"cat"}, 60);
  EXPECT_NE(g.find("(cat)"), std::string::npos) << g;
}

TEST(CrawlerSnippet, FirstOfSeveralTerms) {
  auto text = filler(60) + " dog " + filler(60, "v") + " cat";
  auto s = snippet(text, {"cat", "dog"}, 60);
  EXPECT_NE(s.find(" dog "), std::string::npos) << s;
}

TEST(CrawlerSearchIndex, MergeHitsOrdersAndCuts) {
  std::vector<std::vector<search_hit>> lists{
      {{"http://b/", "b", "", 3.0}, {"http://d/", "d", "", 1.0}},
      {},
      {{"http://c/", "c", "", 3.0}, {"http://a/", "a", "", 2.0}},
      {{"http://b/", "b", "", 0.5}},
  };
  auto merged = merge_hits(lists, 10);
  EXPECT_EQ(urls(merged), (std::vector<std::string>{"http://b/", "http://c/",
                                                    "http://a/", "http://d/"}));
  EXPECT_EQ(merged[0].score, 3.0);
  EXPECT_EQ(urls(merge_hits(lists, 2)),
            (std::vector<std::string>{"http://b/", "http://c/"}));
  EXPECT_TRUE(merge_hits(lists, 0).empty());
  EXPECT_TRUE(merge_hits({}, 5).empty());
}

TEST(CrawlerSearchIndex, DocKeys) {
  EXPECT_EQ(doc_key("http://x/a"), "dhttp://x/a");
  EXPECT_EQ(url_of_doc_key(doc_key("http://x/a")), "http://x/a");
  EXPECT_EQ(url_of_doc_key("bhttp://x/"), std::nullopt);
  EXPECT_EQ(url_of_doc_key("d"), std::nullopt);
  EXPECT_EQ(url_of_doc_key(""), std::nullopt);
}
