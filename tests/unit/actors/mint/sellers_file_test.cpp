// The shipped seller map (actors/troupe/mint/sellers.tsv) is well formed:
// `<name>\t<category>` lines, known categories, no duplicate names under
// case-insensitive whitespace-collapsed comparison, the well-known sellers
// present and made-up local ones absent.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

/// Lower-cases `name` and collapses runs of whitespace to one space.
std::string normalize(const std::string& name) {
  std::string out;
  bool space = false;
  for (unsigned char c : name) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

/// The map as normalized name -> category; format errors go to `errors`.
std::map<std::string, std::string> load(std::vector<std::string>& errors) {
  static const std::set<std::string> categories = {
      "housing",  "food",      "groceries", "gas",           "transport",
      "shopping", "utilities", "health",    "entertainment", "travel"};
  std::map<std::string, std::string> result;
#ifdef TROUPE_SOURCE_DIR
  std::ifstream in(TROUPE_SOURCE_DIR "/actors/troupe/mint/sellers.tsv");
  if (!in)
    errors.push_back("cannot open sellers.tsv");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto where = "line " + std::to_string(number) + ": ";
    if (!line.empty() && line[0] == '#')
      continue;
    auto tab = line.find('\t');
    if (tab == std::string::npos || line.find('\t', tab + 1) != line.npos) {
      errors.push_back(where + "not exactly one tab");
      continue;
    }
    auto name = line.substr(0, tab);
    auto category = line.substr(tab + 1);
    if (normalize(name).empty())
      errors.push_back(where + "empty name");
    else if (std::isspace(static_cast<unsigned char>(name.front())) ||
             std::isspace(static_cast<unsigned char>(name.back())))
      errors.push_back(where + "whitespace around the name");
    if (categories.count(category) == 0)
      errors.push_back(where + "unknown category '" + category + "'");
    if (!result.emplace(normalize(name), category).second)
      errors.push_back(where + "duplicate name '" + name + "'");
  }
#endif
  return result;
}

} // namespace

TEST(MintSellersFile, IsWellFormed) {
#ifndef TROUPE_SOURCE_DIR
  GTEST_SKIP() << "TROUPE_SOURCE_DIR is not defined";
#endif
  std::vector<std::string> errors;
  auto sellers = load(errors);
  for (auto& error : errors)
    ADD_FAILURE() << error;
  EXPECT_GE(sellers.size(), 250u);
  EXPECT_LE(sellers.size(), 450u);
}

TEST(MintSellersFile, HasTheWellKnownSellers) {
#ifndef TROUPE_SOURCE_DIR
  GTEST_SKIP() << "TROUPE_SOURCE_DIR is not defined";
#endif
  std::vector<std::string> errors;
  auto sellers = load(errors);
  const std::pair<const char*, const char*> required[] = {
      {"Exxon", "gas"},
      {"Shell", "gas"},
      {"Chevron", "gas"},
      {"Target", "shopping"},
      {"Walmart", "shopping"},
      {"Whole Foods", "groceries"},
      {"Trader Joe's", "groceries"},
      {"Starbucks", "food"},
      {"McDonald's", "food"},
      {"Chipotle", "food"},
      {"Amazon", "shopping"},
      {"Netflix", "entertainment"},
      {"Spotify", "entertainment"},
      {"Uber", "transport"},
      {"Lyft", "transport"},
      {"Delta Air Lines", "travel"},
      {"Marriott", "travel"},
      {"CVS Pharmacy", "health"},
      {"Walgreens", "health"},
      {"Comcast", "utilities"},
      {"AT&T", "utilities"},
      {"Home Depot", "housing"},
  };
  for (auto& [name, category] : required) {
    auto i = sellers.find(normalize(name));
    if (i == sellers.end())
      ADD_FAILURE() << "missing " << name;
    else
      EXPECT_EQ(i->second, category) << name;
  }
}

TEST(MintSellersFile, LeavesOutLocalSellers) {
#ifndef TROUPE_SOURCE_DIR
  GTEST_SKIP() << "TROUPE_SOURCE_DIR is not defined";
#endif
  std::vector<std::string> errors;
  auto sellers = load(errors);
  for (auto name :
       {"Joe's Diner", "Corner Shop 42", "Bluebird Books", "Sunrise Yoga"})
    EXPECT_EQ(sellers.count(normalize(name)), 0u) << name;
}
