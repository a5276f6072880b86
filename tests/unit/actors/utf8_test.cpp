#include "troupe/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

using troupe::utf8_sequence_length;
using troupe::valid_utf8;

TEST(Utf8, SequenceLengthsOfWellFormedText) {
  std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"; // a é € 😀
  EXPECT_EQ(utf8_sequence_length(s, 0), 1u);
  EXPECT_EQ(utf8_sequence_length(s, 1), 2u);
  EXPECT_EQ(utf8_sequence_length(s, 3), 3u);
  EXPECT_EQ(utf8_sequence_length(s, 6), 4u);
  EXPECT_TRUE(valid_utf8(s));
  EXPECT_TRUE(valid_utf8(""));
}

TEST(Utf8, IllFormedSequencesAreRejected) {
  for (std::string bad : {
           std::string{"\x80"},             // a lone continuation byte
           std::string{"\xC0\xAF"},         // overlong '/'
           std::string{"\xE0\x80\xAF"},     // overlong, three bytes
           std::string{"\xED\xA0\x80"},     // a surrogate
           std::string{"\xF4\x90\x80\x80"}, // above U+10FFFF
           std::string{"\xE2\x82"},         // cut short
           std::string{"\xF8\x88\x80\x80"}, // a five-byte lead
       }) {
    EXPECT_EQ(utf8_sequence_length(bad, 0), 0u) << bad.size();
    EXPECT_FALSE(valid_utf8("ok" + bad)) << bad.size();
  }
}
