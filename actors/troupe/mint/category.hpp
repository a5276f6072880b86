#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace troupe::mint {

/// The budget categories, then `uncategorized` (never budgeted).
enum class category : uint8_t {
  housing,
  food,
  groceries,
  gas,
  transport,
  shopping,
  utilities,
  health,
  entertainment,
  travel,
  uncategorized,
};

/// Categories with a budget (all but `uncategorized`).
constexpr size_t budget_categories = 10;

/// All categories.
constexpr size_t category_count = 11;

/// Returns the API name of `c` (`"groceries"`).
const char* to_string(category c);

/// Parses an API name (exact, lower case); nullopt if unknown.
std::optional<category> parse_category(std::string_view name);

/// The budget template: the share of the monthly income each budget
/// category gets, in per mille (housing 300 = 30 %); 900 in all, the rest
/// is savings.
constexpr std::array<int64_t, budget_categories> template_per_mille = {
    300, 100, 100, 50, 50, 100, 50, 50, 50, 50};

/// Returns the key sellers are matched on: ASCII lower-cased, runs of
/// whitespace collapsed to one space, trimmed (`"  Whole   FOODS "` ->
/// `"whole foods"`).
std::string seller_key(std::string_view seller);

/// The shipped seller-to-category map (sellers.tsv), read-only once built.
class seller_map {
public:
  /// Parses lines `seller<TAB>category`; `#` comments and blank lines are
  /// skipped. Returns false and sets `why` (naming the line) on the first
  /// bad line.
  bool load(std::string_view text, std::string& why);

  /// Returns the category of a seller key, nullopt if the map lacks it.
  std::optional<category> find(const std::string& key) const;

  /// Returns the number of sellers.
  size_t size() const { return map_.size(); }

  /// Returns the map built into the binary (parsed once, on first use).
  static const seller_map& builtin();

private:
  std::unordered_map<std::string, category> map_;
};

} // namespace troupe::mint
