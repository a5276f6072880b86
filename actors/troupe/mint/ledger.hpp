#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "troupe/mint/category.hpp"

namespace troupe::mint {

/// Returns the month (`YYYY * 100 + MM`, UTC) of Unix seconds.
int32_t month_of(int64_t unix_seconds);

/// One transaction of a user; its id is its position in the user's list
/// plus one.
struct txn {
  int64_t created_at = 0;
  int64_t cents = 0;
  /// Index in the ledger's seller table.
  uint32_t seller = 0;
  category cat = category::uncategorized;
  /// Set by the user: never re-categorized automatically.
  bool manual = false;
};

/// A budget notification: a category's spending of a month reached 80 %
/// of its budget (`approaching`) or went above it (`exceeded`).
struct note {
  int64_t created_at = 0;
  int32_t month = 0;
  category cat = category::uncategorized;
  bool exceeded = false;
  int64_t spent = 0;
  int64_t budget = 0;
  /// Position among the user's notifications (orders those of a second).
  uint32_t order = 0;
};

/// A user's money: transactions, monthly spending per category, budget
/// settings and the notifications sent.
struct user_state {
  std::string id;
  std::vector<txn> txns;
  /// Month -> cents spent per category (refunds subtract).
  std::map<int32_t, std::array<int64_t, category_count>> spending;
  /// Monthly income in cents; 0: not given (the template budgets nothing).
  int64_t income = 0;
  /// Budgets the user set per category, -1 where the template applies.
  std::array<int64_t, budget_categories> budgets;
  /// Sent notifications, oldest first.
  std::vector<note> notes;
  /// Day (Unix days) of the user's last call or import.
  int64_t active_day = 0;

  user_state() { budgets.fill(-1); }
};

/// A seller name as transactions spell it.
struct seller_entry {
  std::string name;
  std::string key;
  /// The shipped map's category, if it knows the seller.
  std::optional<category> builtin;
  /// (user index, transaction index) of every transaction of a seller the
  /// shipped map does not know, for re-categorization by the crowd.
  std::vector<std::pair<uint32_t, uint32_t>> refs;
};

/// A notification to store: whose, and which.
struct fired_note {
  std::string user;
  note n;
};

/// The pure state of one Mint shard's users: categorization (shipped map,
/// then the crowd's category, else uncategorized; manual overrides win),
/// monthly spending kept up to date on every change (never rescanned),
/// budgets (user's, else the income-share template) and notifications at
/// 80 % and above 100 %, once per category, kind and month. Methods that
/// may notify append to `fired`; `fired == nullptr` (replaying durable
/// state) records nothing new.
class ledger {
public:
  explicit ledger(const seller_map& builtin) : builtin_(builtin) {
    // nop
  }

  /// Returns the user, nullptr if unknown.
  const user_state* find(std::string_view user) const;

  /// Returns the user, created if unknown.
  user_state& user(std::string_view id);

  /// Adds a transaction and returns its id.
  uint32_t add(std::string_view user, int64_t created_at,
               std::string_view seller, int64_t cents, int64_t now,
               std::vector<fired_note>* fired);

  /// What a manual override changed.
  struct override_result {
    /// Seller key the override votes for; empty when the shipped map knows
    /// the seller (no vote).
    std::string vote_key;
  };

  /// Sets transaction `id` of `user` to `c` by hand; nullopt if unknown.
  std::optional<override_result> set_manual(std::string_view user, uint32_t id,
                                            category c, int64_t now,
                                            std::vector<fired_note>* fired);

  /// Sets the crowd's category of a seller key and re-categorizes the
  /// non-manual transactions of its sellers; returns how many changed.
  size_t set_crowd(const std::string& key, category c, int64_t now,
                   std::vector<fired_note>* fired);

  /// Returns the crowd's category of a seller key, if any.
  std::optional<category> crowd(const std::string& key) const;

  /// Sets the monthly income; re-checks the budgets of `now`'s month.
  void set_income(std::string_view user, int64_t cents, int64_t now,
                  std::vector<fired_note>* fired);

  /// Sets the budget of a category (-1: back to the template); re-checks
  /// the budgets of `now`'s month.
  void set_budget(std::string_view user, category c, int64_t cents, int64_t now,
                  std::vector<fired_note>* fired);

  /// Records a stored notification (when replaying).
  void restore_note(std::string_view user, const note& n);

  /// Orders every user's notifications by time (after replaying).
  void sort_notes();

  /// Returns the budget of `c` for `u`.
  static int64_t budget_of(const user_state& u, category c);

  /// Returns the seller table entry `idx`.
  const seller_entry& seller(uint32_t idx) const { return sellers_[idx]; }

  /// Returns the number of users and transactions.
  size_t users() const { return users_.size(); }
  size_t transactions() const { return txn_count_; }

private:
  uint32_t intern(std::string_view seller);
  category auto_category(const seller_entry& s) const;
  void move(user_state& u, const txn& t, category to, int64_t now,
            std::vector<fired_note>* fired);
  void check(user_state& u, int32_t month, category c, int64_t now,
             std::vector<fired_note>* fired);

  const seller_map& builtin_;
  std::vector<user_state> users_;
  std::unordered_map<std::string, uint32_t> user_index_;
  std::vector<seller_entry> sellers_;
  std::unordered_map<std::string, uint32_t> seller_index_;
  /// Seller key -> the seller table entries spelled to it.
  std::unordered_map<std::string, std::vector<uint32_t>> key_sellers_;
  std::unordered_map<std::string, category> crowd_;
  size_t txn_count_ = 0;
};

} // namespace troupe::mint
