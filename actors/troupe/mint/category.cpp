#include "troupe/mint/category.hpp"

#include <stdexcept>

namespace troupe::mint {

namespace {

constexpr std::array<const char*, category_count> names = {
    "housing",       "food",     "groceries",    "gas",
    "transport",     "shopping", "utilities",    "health",
    "entertainment", "travel",   "uncategorized"};

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

} // namespace

// The contents of sellers.tsv, generated into the build tree.
extern const char* const builtin_sellers_tsv;

const char* to_string(category c) {
  return names[static_cast<size_t>(c)];
}

std::optional<category> parse_category(std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (name == names[i])
      return static_cast<category>(i);
  return std::nullopt;
}

std::string seller_key(std::string_view seller) {
  std::string out;
  out.reserve(seller.size());
  bool gap = false;
  for (char c : seller) {
    if (space(c)) {
      gap = !out.empty();
      continue;
    }
    if (gap)
      out += ' ';
    gap = false;
    out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

bool seller_map::load(std::string_view text, std::string& why) {
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text =
        nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty() || line[0] == '#')
      continue;
    auto tab = line.find('\t');
    auto cat = tab == std::string_view::npos
                   ? std::nullopt
                   : parse_category(line.substr(tab + 1));
    auto key = seller_key(line.substr(0, tab));
    if (!cat || key.empty() || *cat == category::uncategorized) {
      why = "line " + std::to_string(line_no) +
            ": expected <seller><TAB><budget category>";
      return false;
    }
    map_[key] = *cat;
  }
  return true;
}

std::optional<category> seller_map::find(const std::string& key) const {
  auto i = map_.find(key);
  if (i == map_.end())
    return std::nullopt;
  return i->second;
}

const seller_map& seller_map::builtin() {
  static const seller_map instance = [] {
    seller_map m;
    std::string why;
    if (!m.load(builtin_sellers_tsv, why))
      throw std::logic_error("built-in sellers.tsv: " + why);
    return m;
  }();
  return instance;
}

} // namespace troupe::mint
