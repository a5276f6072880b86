// Mint's categories: API names round-trip, seller keys are lower-cased and
// whitespace-collapsed, the seller map loads `seller<TAB>category` lines
// (errors name the line), the built-in map knows the common sellers, and
// the budget template shares 90 % of the income.
#include "troupe/mint/category.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <set>
#include <string>

using namespace troupe::mint;

TEST(MintCategory, NamesRoundTrip) {
  std::set<std::string> seen;
  for (size_t i = 0; i < category_count; ++i) {
    auto c = static_cast<category>(i);
    std::string name = to_string(c);
    EXPECT_TRUE(seen.insert(name).second) << name;
    auto back = parse_category(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, c);
  }
  EXPECT_EQ(seen.size(), 11u);
}

TEST(MintCategory, NamesInApiOrder) {
  const char* expected[] = {"housing",   "food",         "groceries",
                            "gas",       "transport",    "shopping",
                            "utilities", "health",       "entertainment",
                            "travel",    "uncategorized"};
  for (size_t i = 0; i < category_count; ++i)
    EXPECT_STREQ(to_string(static_cast<category>(i)), expected[i]);
  EXPECT_EQ(budget_categories, 10u);
  EXPECT_EQ(static_cast<size_t>(category::uncategorized), budget_categories);
}

TEST(MintCategory, ParseIsExactLowerCase) {
  const char* bad[] = {"",     "Gas",         "GAS",      " gas",
                       "gas ", "groceries\n", "gasx",     "ga",
                       "Food", "savings",     "housing\t"};
  for (const char* name : bad)
    EXPECT_FALSE(parse_category(name).has_value()) << '"' << name << '"';
  EXPECT_EQ(parse_category("uncategorized"), category::uncategorized);
}

TEST(MintCategory, TemplateSumsTo900PerMille) {
  EXPECT_EQ(std::accumulate(template_per_mille.begin(),
                            template_per_mille.end(), int64_t{0}),
            900);
  auto share = [](category c) {
    return template_per_mille[static_cast<size_t>(c)];
  };
  EXPECT_EQ(share(category::housing), 300);
  EXPECT_EQ(share(category::food), 100);
  EXPECT_EQ(share(category::groceries), 100);
  EXPECT_EQ(share(category::shopping), 100);
  for (auto c : {category::gas, category::transport, category::utilities,
                 category::health, category::entertainment, category::travel})
    EXPECT_EQ(share(c), 50) << to_string(c);
}

TEST(MintCategory, SellerKeyNormalizes) {
  EXPECT_EQ(seller_key("  Whole   FOODS "), "whole foods");
  EXPECT_EQ(seller_key("  JOE'S   Diner"), "joe's diner");
  EXPECT_EQ(seller_key("Joe's Diner"), "joe's diner");
  EXPECT_EQ(seller_key("a\tb\n\rc\vd\fe"), "a b c d e");
  EXPECT_EQ(seller_key("\t \n"), "");
  EXPECT_EQ(seller_key(""), "");
  EXPECT_EQ(seller_key("ABCXYZ abcxyz 0189 @[`{"), "abcxyz abcxyz 0189 @[`{");
  // Only ASCII is lower-cased; other UTF-8 bytes pass unchanged.
  EXPECT_EQ(seller_key("CAFÉ Nero"), "cafÉ nero");
  EXPECT_EQ(seller_key("Café  Nero"), "café nero");
  // U+00A0 (no-break space) is not ASCII whitespace.
  EXPECT_EQ(seller_key("a\xc2\xa0"
                       "b"),
            "a\xc2\xa0"
            "b");
  // Idempotent.
  for (const char* s : {"  X  y  ", "Home Depot", "A\t\tB"})
    EXPECT_EQ(seller_key(seller_key(s)), seller_key(s));
}

TEST(MintCategory, SellerMapLoadsAndFinds) {
  seller_map m;
  std::string why;
  ASSERT_TRUE(m.load("# comment\n"
                     "\n"
                     "Joe's   Diner\tfood\r\n"
                     "  BIG Box \tshopping\n"
                     "Corner Gas\tgas",
                     why))
      << why;
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.find("joe's diner"), category::food);
  EXPECT_EQ(m.find("big box"), category::shopping);
  EXPECT_EQ(m.find("corner gas"), category::gas);
  // find() takes a key, not a raw name.
  EXPECT_FALSE(m.find("Joe's Diner").has_value());
  EXPECT_FALSE(m.find("unknown").has_value());
}

TEST(MintCategory, SellerMapLaterLineWins) {
  seller_map m;
  std::string why;
  ASSERT_TRUE(m.load("Shop\tfood\nSHOP\tshopping\n", why)) << why;
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.find("shop"), category::shopping);
}

TEST(MintCategory, SellerMapErrorsNameTheLine) {
  struct bad_case {
    const char* text;
    const char* line;
  };
  const bad_case cases[] = {
      {"no tab here\n", "line 1:"},
      {"# c\nA\tfood\nB\tsavings\n", "line 3:"},
      {"A\tfood\n\n# c\nB\tuncategorized\n", "line 4:"},
      {"A\tFood\n", "line 1:"},
      {"A\tfood\n\tgas\n", "line 2:"},
      {"A\tfood\n   \tgas\n", "line 2:"},
      {"A\tfood\nB\tgas\textra\n", "line 2:"},
      {"A\tfood\r\nB\t\r\n", "line 2:"},
      {"A\tfood\n \n", "line 2:"},
  };
  for (const auto& c : cases) {
    seller_map m;
    std::string why;
    EXPECT_FALSE(m.load(c.text, why)) << c.text;
    EXPECT_EQ(why.rfind(c.line, 0), 0u) << c.text << " -> " << why;
  }
}

TEST(MintCategory, BuiltinHasTheCommonSellers) {
  const auto& m = seller_map::builtin();
  EXPECT_GE(m.size(), 250u);
  EXPECT_EQ(&m, &seller_map::builtin());
  struct known {
    const char* name;
    category c;
  };
  const known cases[] = {
      {"Exxon", category::gas},          {"ExxonMobil", category::gas},
      {"Shell", category::gas},          {"Target", category::shopping},
      {"Walmart", category::shopping},   {"Starbucks", category::food},
      {"Home Depot", category::housing}, {"IKEA", category::housing},
  };
  for (const auto& k : cases) {
    auto got = m.find(seller_key(k.name));
    ASSERT_TRUE(got.has_value()) << k.name;
    EXPECT_EQ(*got, k.c) << k.name << ": " << to_string(*got);
  }
  // Matching is on the key: case and spacing do not matter.
  EXPECT_EQ(m.find(seller_key("  EXXON ")), category::gas);
  EXPECT_EQ(m.find(seller_key("home   DEPOT")), category::housing);
  EXPECT_FALSE(m.find(seller_key("Joe's Corner Diner 4711")).has_value());
}
