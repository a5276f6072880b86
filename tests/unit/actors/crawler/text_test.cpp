// Tokenization, markup stripping and query parsing for the crawler's search.

#include "troupe/crawler/text.hpp"

#include <gtest/gtest.h>

using namespace troupe::crawler;

namespace {

using strings = std::vector<std::string>;
using groups = std::vector<strings>;

/// Parses `text`, failing the test if no query comes back.
query parsed(std::string_view text) {
  auto q = query::parse(text);
  EXPECT_TRUE(q.has_value()) << text;
  return q.value_or(query{});
}

} // namespace

TEST(CrawlerText, TermsAreLowerCasedAlphanumericRuns) {
  EXPECT_EQ(terms_of("Hello, World! C++17 is x86_64."),
            (strings{"hello", "world", "c", "17", "is", "x86", "64"}));
}

TEST(CrawlerText, EveryOtherAsciiByteSeparates) {
  EXPECT_EQ(terms_of("a-b.c/d\te\nf\x01g"),
            (strings{"a", "b", "c", "d", "e", "f", "g"}));
  EXPECT_TRUE(terms_of("  ...---!!! ").empty());
  EXPECT_TRUE(terms_of("").empty());
}

TEST(CrawlerText, Utf8BytesStayInsideTermsUnfolded) {
  // "Größe" and "ÉTÉ": only the ASCII letters are lower-cased.
  EXPECT_EQ(terms_of("Gr\xc3\xb6\xc3\x9f"
                     "e \xc3\x89T\xc3\x89"),
            (strings{"gr\xc3\xb6\xc3\x9f"
                     "e",
                     "\xc3\x89t\xc3\x89"}));
}

TEST(CrawlerText, TermsOver64BytesAreDropped) {
  std::string edge(64, 'a');
  std::string over(65, 'b');
  EXPECT_EQ(terms_of("x " + edge + " " + over + " y"),
            (strings{"x", edge, "y"}));
}

TEST(CrawlerText, StripMarkupRemovesTags) {
  EXPECT_EQ(terms_of(strip_markup("<p class=\"x\">Hi<br/>there</p>")),
            (strings{"hi", "there"}));
  EXPECT_EQ(strip_markup("a < b"), "a < b");
}

TEST(CrawlerText, StripMarkupDecodesEntities) {
  EXPECT_EQ(strip_markup("&amp;&lt;&gt;&quot;&#39;&nbsp;&copy;"),
            "&<>\"' &copy;");
  // A decoded `<` does not start a tag.
  EXPECT_EQ(strip_markup("&lt;b&gt;x"), "<b>x");
}

TEST(CrawlerText, QueryTermsAreAnded) {
  auto q = parsed("Rust  Actors");
  EXPECT_EQ(q.all_of_any, (groups{{"rust"}, {"actors"}}));
  EXPECT_TRUE(q.excluded.empty());
}

TEST(CrawlerText, QueryOrJoinsNeighbours) {
  EXPECT_EQ(parsed("a OR b c").all_of_any, (groups{{"a", "b"}, {"c"}}));
  EXPECT_EQ(parsed("a OR b OR c").all_of_any, (groups{{"a", "b", "c"}}));
  EXPECT_EQ(parsed("x a OR b").all_of_any, (groups{{"x"}, {"a", "b"}}));
}

TEST(CrawlerText, QueryOrMustBeUpperCaseAndAlone) {
  EXPECT_EQ(parsed("a or b").all_of_any, (groups{{"a"}, {"or"}, {"b"}}));
  EXPECT_EQ(parsed("a ORb").all_of_any, (groups{{"a"}, {"orb"}}));
}

TEST(CrawlerText, QueryOrWithoutTwoTermsIsIgnored) {
  EXPECT_EQ(parsed("OR a").all_of_any, (groups{{"a"}}));
  EXPECT_EQ(parsed("a OR").all_of_any, (groups{{"a"}}));
  EXPECT_EQ(parsed("a -b OR c").all_of_any, (groups{{"a"}, {"c"}}));
}

TEST(CrawlerText, QueryMultiTermWordsJoinAtTheirEdges) {
  // "b-c" gives two terms: only the first joins the OR.
  EXPECT_EQ(parsed("a OR b-c").all_of_any, (groups{{"a", "b"}, {"c"}}));
}

TEST(CrawlerText, QueryLeadingMinusExcludes) {
  auto q = parsed("cats -Dogs -hot-dog");
  EXPECT_EQ(q.all_of_any, (groups{{"cats"}}));
  EXPECT_EQ(q.excluded, (strings{"dogs", "hot", "dog"}));
}

TEST(CrawlerText, QueryIsMarkupStrippedAndLowerCased) {
  auto q = parsed("<b>Fish</b> &amp; CHIPS");
  EXPECT_EQ(q.all_of_any, (groups{{"fish"}, {"chips"}}));
}

TEST(CrawlerText, QueryWithoutPositiveTermIsNothing) {
  EXPECT_FALSE(query::parse("").has_value());
  EXPECT_FALSE(query::parse("  !!! ").has_value());
  EXPECT_FALSE(query::parse("-spam -ads").has_value());
  EXPECT_FALSE(query::parse("OR <i></i>").has_value());
}
