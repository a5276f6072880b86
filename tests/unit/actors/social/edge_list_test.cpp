// The import's line parser: friendships, comments, every kind of bad line
// with its number, and pieces that split lines anywhere.

#include "troupe/social/edge_list.hpp"

#include <gtest/gtest.h>

using namespace troupe::social;

namespace {

struct parsed {
  std::vector<person_id> pairs;
  edge_list_parser parser{3};
};

void parse_in_pieces(parsed& p, const std::string& text, size_t piece) {
  for (size_t i = 0; i < text.size(); i += piece)
    p.parser.feed(std::string_view{text}.substr(i, piece), p.pairs);
  p.parser.finish(p.pairs);
}

} // namespace

TEST(edge_list, parses_friendships_and_skips_comments) {
  parsed p;
  parse_in_pieces(p, "# people\n1 2\r\n3\t4\n\n  5   6  \n7 8", 1000);
  EXPECT_EQ(p.pairs, (std::vector<person_id>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(p.parser.accepted(), 4u);
  EXPECT_EQ(p.parser.rejected_count(), 0u);
  EXPECT_EQ(p.parser.lines(), 6u);
}

TEST(edge_list, rejects_bad_lines_with_numbers_and_goes_on) {
  parsed p;
  parse_in_pieces(p,
                  "1 2\n3\n4 4\nx 5\n6 7 8\n0 9\n4294967296 1\n"
                  "4294967295 1\n-1 2\n1.5 2\n10 11\n",
                  1000);
  EXPECT_EQ(p.pairs, (std::vector<person_id>{1, 2, 4294967295u, 1, 10, 11}));
  EXPECT_EQ(p.parser.rejected_count(), 8u);
  ASSERT_EQ(p.parser.rejected().size(), 3u); // listed up to the limit
  EXPECT_EQ(p.parser.rejected()[0].line, 2u);
  EXPECT_NE(p.parser.rejected()[0].reason.find("2 fields"), std::string::npos);
  EXPECT_EQ(p.parser.rejected()[1].line, 3u);
  EXPECT_NE(p.parser.rejected()[1].reason.find("self-loop"), std::string::npos);
  EXPECT_EQ(p.parser.rejected()[2].line, 4u);
  EXPECT_NE(p.parser.rejected()[2].reason.find("'x'"), std::string::npos);
}

TEST(edge_list, pieces_may_split_lines_anywhere) {
  std::string text;
  for (int i = 1; i <= 500; ++i)
    text += std::to_string(i) + " " + std::to_string(i + 1000) + "\n";
  text += "bad line here\n";
  for (size_t piece : {1u, 2u, 3u, 7u, 64u}) {
    parsed p;
    parse_in_pieces(p, text, piece);
    EXPECT_EQ(p.parser.accepted(), 500u) << piece;
    EXPECT_EQ(p.pairs.size(), 1000u);
    EXPECT_EQ(p.pairs[998], 500u);
    EXPECT_EQ(p.pairs[999], 1500u);
    ASSERT_EQ(p.parser.rejected_count(), 1u);
    EXPECT_EQ(p.parser.rejected()[0].line, 501u);
  }
}

TEST(edge_list, overlong_lines_are_rejected_without_buffering_them) {
  parsed p;
  std::string text = "1 2\n" + std::string(100000, '7') + "\n3 4\n";
  parse_in_pieces(p, text, 4096);
  EXPECT_EQ(p.pairs, (std::vector<person_id>{1, 2, 3, 4}));
  ASSERT_EQ(p.parser.rejected_count(), 1u);
  EXPECT_EQ(p.parser.rejected()[0].line, 2u);
  EXPECT_NE(p.parser.rejected()[0].reason.find("longer"), std::string::npos);
}

TEST(edge_list, person_ids_are_positive_32_bit_integers) {
  EXPECT_EQ(parse_person_id("1"), 1u);
  EXPECT_EQ(parse_person_id("4294967295"), 4294967295u);
  EXPECT_EQ(parse_person_id("4294967296"), 0u);
  EXPECT_EQ(parse_person_id("0"), 0u);
  EXPECT_EQ(parse_person_id(""), 0u);
  EXPECT_EQ(parse_person_id("+1"), 0u);
  EXPECT_EQ(parse_person_id("99999999999"), 0u);
}
