// Status length in code points, tokenization for search, mentions.
#include "troupe/twitter/text.hpp"

#include <gtest/gtest.h>

using namespace troupe::twitter;
using terms = std::vector<std::string>;

TEST(twitterText, LengthCountsCodePointsNotBytes) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("h\xC3\xA9llo"), 5u);             // é: 2 bytes
  EXPECT_EQ(utf8_length("\xE4\xB8\xAD\xE6\x96\x87"), 2u); // 中文
  EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80"), 1u);         // 😀: 4 bytes
  EXPECT_EQ(utf8_length(std::string(280, 'x')), 280u);
}

TEST(twitterText, InvalidUtf8HasNoLength) {
  EXPECT_FALSE(utf8_length("\xC3"));             // truncated
  EXPECT_FALSE(utf8_length("\xC0\xAF"));         // overlong '/'
  EXPECT_FALSE(utf8_length("\xED\xA0\x80"));     // surrogate
  EXPECT_FALSE(utf8_length("\xF4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(utf8_length("\x80"));             // lone continuation
  EXPECT_FALSE(utf8_length("a\xFF"));
}

TEST(twitterText, TermsAreLowerCasedAndSplitOnPunctuation) {
  EXPECT_EQ(tokenize("Hello, World! hello"), (terms{"hello", "world"}));
  EXPECT_EQ(tokenize("C++17 rocks..."), (terms{"c", "17", "rocks"}));
  EXPECT_EQ(tokenize("@alice loves #CAF"), (terms{"alice", "loves", "caf"}));
  EXPECT_EQ(tokenize(""), terms{});
  EXPECT_EQ(tokenize("  ...  "), terms{});
}

TEST(twitterText, MarkupAndEntitiesAreStripped) {
  EXPECT_EQ(tokenize("<b>Bold</b> move &amp; more"),
            (terms{"bold", "move", "more"}));
  EXPECT_EQ(tokenize("<a href=\"http://x.io/p\">link</a>"), (terms{"link"}));
  EXPECT_EQ(tokenize("1 < 2 and 3 > 2"), (terms{"1", "2", "and", "3"}));
}

TEST(twitterText, NonAsciiWordsStayWhole) {
  EXPECT_EQ(tokenize("caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87!"),
            (terms{"caf\xC3\xA9", "\xE4\xB8\xAD\xE6\x96\x87"}));
}

TEST(twitterText, LongTermsAreCut) {
  auto t = tokenize(std::string(100, 'a'));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].size(), max_term_bytes);
}

TEST(twitterText, MentionsAreHandlesAfterAnAt) {
  EXPECT_EQ(mentions("hi @alice and @bob_2, @alice again"),
            (terms{"alice", "bob_2"}));
  EXPECT_EQ(mentions("mail me at me@example.com"), terms{});
  EXPECT_EQ(mentions("@ alone, @@x"), (terms{"x"}));
}
