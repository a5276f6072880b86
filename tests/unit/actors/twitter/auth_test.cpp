// Auth tokens: random, 128 bits, stored only as a hash, checked exactly.
#include "troupe/twitter/auth.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace troupe::twitter;

TEST(twitterAuth, TokensAre128RandomBitsInHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto token = new_auth_token();
    ASSERT_EQ(token.size(), 32u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_TRUE(seen.insert(token).second);
  }
}

TEST(twitterAuth, TheStoredHashIsNotTheToken) {
  auto token = new_auth_token();
  auto hash = hash_auth_token(token);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find(token), std::string::npos);
  EXPECT_EQ(hash_auth_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(twitterAuth, OnlyTheExactTokenMatches) {
  auto token = new_auth_token();
  auto hash = hash_auth_token(token);
  EXPECT_TRUE(auth_token_matches(token, hash));
  auto other = token;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(auth_token_matches(other, hash));
  EXPECT_FALSE(auth_token_matches("", hash));
  EXPECT_FALSE(auth_token_matches(token, hash.substr(1)));
  EXPECT_FALSE(auth_token_matches(token + "0", hash));
}
