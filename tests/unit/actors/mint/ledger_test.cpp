// Mint's ledger, the pure core of a user shard: categorization (manual,
// then the shipped map, then the crowd, else uncategorized), monthly
// spending kept incrementally (checked against a from-scratch
// re-aggregation over random operations), the crowd's re-categorization,
// budgets (user's or the income template) and notifications at 80 % and
// above 100 %, once per (month, category, kind).
#include "troupe/mint/ledger.hpp"

#include <gtest/gtest.h>

#include <array>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "troupe/timestamp.hpp"

using namespace troupe::mint;

namespace {

/// Unix seconds of y-m-d at `hour`:00:00 UTC.
int64_t at(int y, unsigned m, unsigned d, int hour = 12) {
  return troupe::days_from_civil(y, m, d) * 86400 + hour * 3600;
}

/// A small shipped map, so the tests do not depend on sellers.tsv.
const seller_map& test_map() {
  static const seller_map m = [] {
    seller_map s;
    std::string why;
    bool ok = s.load("Exxon\tgas\n"
                     "Target\tshopping\n"
                     "Home Depot\thousing\n"
                     "Whole Foods\tgroceries\n",
                     why);
    EXPECT_TRUE(ok) << why;
    return s;
  }();
  return m;
}

int64_t spent(const user_state& u, int32_t month, category c) {
  auto i = u.spending.find(month);
  return i == u.spending.end() ? 0 : i->second[static_cast<size_t>(c)];
}

const txn& txn_of(const ledger& book, const std::string& user, uint32_t id) {
  return book.find(user)->txns.at(id - 1);
}

constexpr int32_t jan = 202401;
const int64_t jan10 = at(2024, 1, 10);
const int64_t jan20 = at(2024, 1, 20);
const int64_t feb10 = at(2024, 2, 10);

} // namespace

TEST(MintLedger, MonthOf) {
  EXPECT_EQ(month_of(0), 197001);
  EXPECT_EQ(month_of(-1), 196912);
  EXPECT_EQ(month_of(-86400 * 31), 196912);     // 1969-12-01T00:00:00Z
  EXPECT_EQ(month_of(-86400 * 31 - 1), 196911); // 1969-11-30T23:59:59Z
  EXPECT_EQ(month_of(at(2024, 2, 1, 0) - 1), 202401);
  EXPECT_EQ(month_of(at(2024, 2, 1, 0)), 202402);
  EXPECT_EQ(month_of(at(2024, 2, 29, 23) + 3599), 202402);
  EXPECT_EQ(month_of(at(2024, 3, 1, 0)), 202403);
  EXPECT_EQ(month_of(at(2024, 12, 31, 23) + 3599), 202412);
  EXPECT_EQ(month_of(at(2025, 1, 1, 0)), 202501);
  EXPECT_EQ(month_of(at(1900, 3, 1, 0)), 190003);
  EXPECT_EQ(month_of(253402300799), 999912);
}

TEST(MintLedger, UsersAndIds) {
  ledger book(test_map());
  EXPECT_EQ(book.find("alice"), nullptr);
  EXPECT_EQ(book.add("alice", jan10, "Exxon", 100, jan10, nullptr), 1u);
  EXPECT_EQ(book.add("alice", jan10, "Exxon", 100, jan10, nullptr), 2u);
  EXPECT_EQ(book.add("bob", jan10, "Exxon", 100, jan10, nullptr), 1u);
  EXPECT_EQ(book.add("alice", jan10, "Target", 100, jan10, nullptr), 3u);
  EXPECT_EQ(book.users(), 2u);
  EXPECT_EQ(book.transactions(), 4u);
  ASSERT_NE(book.find("alice"), nullptr);
  EXPECT_EQ(book.find("alice")->id, "alice");
  EXPECT_EQ(book.find("alice")->txns.size(), 3u);
  EXPECT_EQ(book.find("Alice"), nullptr);
  // user() creates without transactions.
  auto& carol = book.user("carol");
  EXPECT_EQ(carol.id, "carol");
  EXPECT_TRUE(carol.txns.empty());
  EXPECT_EQ(carol.income, 0);
  for (auto b : carol.budgets)
    EXPECT_EQ(b, -1);
  EXPECT_EQ(book.users(), 3u);
  EXPECT_EQ(&book.user("carol"), book.find("carol"));
}

TEST(MintLedger, StoresTheTransaction) {
  ledger book(test_map());
  auto id = book.add("alice", jan10, "  EXXON ", -250, jan20, nullptr);
  const auto& t = txn_of(book, "alice", id);
  EXPECT_EQ(t.created_at, jan10);
  EXPECT_EQ(t.cents, -250);
  EXPECT_FALSE(t.manual);
  EXPECT_EQ(t.cat, category::gas);
  const auto& s = book.seller(t.seller);
  EXPECT_EQ(s.name, "  EXXON "); // as spelled
  EXPECT_EQ(s.key, "exxon");
  EXPECT_EQ(s.builtin, category::gas);
  auto first_seller = t.seller; // `t` dangles once the list grows
  // Another spelling is another entry with the same key.
  auto id2 = book.add("alice", jan10, "Exxon", 1, jan20, nullptr);
  const auto& t2 = txn_of(book, "alice", id2);
  EXPECT_NE(t2.seller, first_seller);
  EXPECT_EQ(book.seller(t2.seller).key, "exxon");
  // The same spelling shares the entry.
  auto id3 = book.add("bob", jan10, "Exxon", 1, jan20, nullptr);
  EXPECT_EQ(txn_of(book, "bob", id3).seller, t2.seller);
}

TEST(MintLedger, BuiltinThenCrowdThenUncategorized) {
  ledger book(test_map());
  auto known = book.add("u", jan10, "Whole   FOODS", 100, jan10, nullptr);
  auto unknown = book.add("u", jan10, "Joe's Diner", 100, jan10, nullptr);
  EXPECT_EQ(txn_of(book, "u", known).cat, category::groceries);
  EXPECT_EQ(txn_of(book, "u", unknown).cat, category::uncategorized);
  EXPECT_FALSE(book.crowd("joe's diner").has_value());

  EXPECT_EQ(book.set_crowd("joe's diner", category::food, jan10, nullptr), 1u);
  EXPECT_EQ(book.crowd("joe's diner"), category::food);
  EXPECT_EQ(txn_of(book, "u", unknown).cat, category::food);
  // New transactions of the seller get the crowd's category, in any
  // spelling that has the key.
  auto later = book.add("v", jan10, "  JOE'S   Diner", 100, jan10, nullptr);
  EXPECT_EQ(txn_of(book, "v", later).cat, category::food);

  // The shipped map beats the crowd.
  EXPECT_EQ(book.set_crowd("whole foods", category::travel, jan10, nullptr),
            0u);
  EXPECT_EQ(txn_of(book, "u", known).cat, category::groceries);
  auto again = book.add("u", jan10, "Whole Foods", 100, jan10, nullptr);
  EXPECT_EQ(txn_of(book, "u", again).cat, category::groceries);
  const auto& row = book.find("u")->spending.at(jan);
  EXPECT_EQ(row[static_cast<size_t>(category::groceries)], 200);
  EXPECT_EQ(row[static_cast<size_t>(category::travel)], 0);
}

TEST(MintLedger, CrowdSetBeforeTheSellerAppears) {
  ledger book(test_map());
  EXPECT_EQ(book.set_crowd("new place", category::health, jan10, nullptr), 0u);
  auto id = book.add("u", jan10, "New  Place", 700, jan10, nullptr);
  EXPECT_EQ(txn_of(book, "u", id).cat, category::health);
  EXPECT_EQ(spent(*book.find("u"), jan, category::health), 700);
}

TEST(MintLedger, UsesTheBuiltinMapByDefault) {
  ledger book(seller_map::builtin());
  auto exxon = book.add("u", jan10, "EXXON", 100, jan10, nullptr);
  auto target = book.add("u", jan10, "target", 100, jan10, nullptr);
  EXPECT_EQ(txn_of(book, "u", exxon).cat, category::gas);
  EXPECT_EQ(txn_of(book, "u", target).cat, category::shopping);
}

TEST(MintLedger, ManualWinsAndIsNeverChangedByTheCrowd) {
  ledger book(test_map());
  auto a = book.add("u", jan10, "Joe's Diner", 1000, jan10, nullptr);
  auto b = book.add("u", jan10, "Joe's Diner", 300, jan10, nullptr);
  auto r = book.set_manual("u", a, category::groceries, jan10, nullptr);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->vote_key, "joe's diner");
  EXPECT_TRUE(txn_of(book, "u", a).manual);
  EXPECT_EQ(txn_of(book, "u", a).cat, category::groceries);
  EXPECT_EQ(spent(*book.find("u"), jan, category::groceries), 1000);
  EXPECT_EQ(spent(*book.find("u"), jan, category::uncategorized), 300);

  EXPECT_EQ(book.set_crowd("joe's diner", category::food, jan10, nullptr), 1u);
  EXPECT_EQ(txn_of(book, "u", a).cat, category::groceries);
  EXPECT_EQ(txn_of(book, "u", b).cat, category::food);
  EXPECT_EQ(book.set_crowd("joe's diner", category::travel, jan10, nullptr),
            1u);
  EXPECT_EQ(txn_of(book, "u", a).cat, category::groceries);
  EXPECT_EQ(txn_of(book, "u", b).cat, category::travel);
  const auto& row = book.find("u")->spending.at(jan);
  EXPECT_EQ(row[static_cast<size_t>(category::groceries)], 1000);
  EXPECT_EQ(row[static_cast<size_t>(category::travel)], 300);
  EXPECT_EQ(row[static_cast<size_t>(category::food)], 0);
  EXPECT_EQ(row[static_cast<size_t>(category::uncategorized)], 0);

  // Manual also beats the shipped map, and votes for nothing there.
  auto g = book.add("u", jan10, "Exxon", 500, jan10, nullptr);
  r = book.set_manual("u", g, category::travel, jan10, nullptr);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->vote_key, "");
  EXPECT_EQ(txn_of(book, "u", g).cat, category::travel);
  EXPECT_EQ(spent(*book.find("u"), jan, category::gas), 0);
  EXPECT_EQ(spent(*book.find("u"), jan, category::travel), 800);

  // Setting the category it already has still makes it manual.
  r = book.set_manual("u", b, category::travel, jan10, nullptr);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(txn_of(book, "u", b).manual);
  EXPECT_EQ(book.set_crowd("joe's diner", category::food, jan10, nullptr), 0u);
  EXPECT_EQ(txn_of(book, "u", b).cat, category::travel);
  EXPECT_EQ(spent(*book.find("u"), jan, category::travel), 800);
}

TEST(MintLedger, ManualOverrideAgainMovesTheMoney) {
  ledger book(test_map());
  auto a = book.add("u", jan10, "Corner", 1000, jan10, nullptr);
  ASSERT_TRUE(book.set_manual("u", a, category::food, jan10, nullptr));
  ASSERT_TRUE(book.set_manual("u", a, category::health, jan10, nullptr));
  const auto& row = book.find("u")->spending.at(jan);
  EXPECT_EQ(row[static_cast<size_t>(category::food)], 0);
  EXPECT_EQ(row[static_cast<size_t>(category::health)], 1000);
  EXPECT_EQ(row[static_cast<size_t>(category::uncategorized)], 0);
}

TEST(MintLedger, SetManualUnknownIsNullopt) {
  ledger book(test_map());
  book.add("u", jan10, "Exxon", 100, jan10, nullptr);
  EXPECT_FALSE(book.set_manual("nobody", 1, category::food, jan10, nullptr));
  EXPECT_FALSE(book.set_manual("u", 0, category::food, jan10, nullptr));
  EXPECT_FALSE(book.set_manual("u", 2, category::food, jan10, nullptr));
  EXPECT_FALSE(
      book.set_manual("u", UINT32_MAX, category::food, jan10, nullptr));
  EXPECT_EQ(txn_of(book, "u", 1).cat, category::gas);
  EXPECT_FALSE(txn_of(book, "u", 1).manual);
}

TEST(MintLedger, SetCrowdCountsOnlyNonBuiltinNonManualChanges) {
  ledger book(test_map());
  // Three spellings of one key, over two users.
  book.add("u", jan10, "Joe's Diner", 100, jan10, nullptr);           // 1
  book.add("u", jan10, "JOE'S  DINER", 200, jan10, nullptr);          // 2
  book.add("v", feb10, "joe's diner", 400, jan10, nullptr);           // 1
  book.add("v", feb10, "Joe's Diner", 800, jan10, nullptr);           // 2
  book.add("v", feb10, "Joe's Diner Downtown", 1600, jan10, nullptr); // 3
  book.add("v", feb10, "Exxon", 3200, jan10, nullptr);                // 4
  ASSERT_TRUE(book.set_manual("v", 2, category::food, jan10, nullptr));
  ASSERT_TRUE(book.set_manual("v", 4, category::health, jan10, nullptr));

  EXPECT_EQ(book.set_crowd("joe's diner", category::food, jan10, nullptr), 3u);
  EXPECT_EQ(txn_of(book, "u", 1).cat, category::food);
  EXPECT_EQ(txn_of(book, "u", 2).cat, category::food);
  EXPECT_EQ(txn_of(book, "v", 1).cat, category::food);
  EXPECT_EQ(txn_of(book, "v", 2).cat, category::food);
  EXPECT_EQ(txn_of(book, "v", 3).cat, category::uncategorized); // other key
  EXPECT_EQ(txn_of(book, "v", 4).cat, category::health);
  // The same category again changes nothing.
  EXPECT_EQ(book.set_crowd("joe's diner", category::food, jan10, nullptr), 0u);
  // A move to another category counts every non-manual one again.
  EXPECT_EQ(book.set_crowd("joe's diner", category::travel, jan10, nullptr),
            3u);
  EXPECT_EQ(txn_of(book, "v", 2).cat, category::food); // manual
  EXPECT_EQ(spent(*book.find("u"), jan, category::travel), 300);
  EXPECT_EQ(spent(*book.find("v"), 202402, category::travel), 400);
  EXPECT_EQ(spent(*book.find("v"), 202402, category::food), 800);
  // An unknown key, and a builtin key even for a manual transaction.
  EXPECT_EQ(book.set_crowd("nobody", category::travel, jan10, nullptr), 0u);
  EXPECT_EQ(book.set_crowd("exxon", category::food, jan10, nullptr), 0u);
  EXPECT_EQ(txn_of(book, "v", 4).cat, category::health);
}

TEST(MintLedger, SpendingPerMonthAndRefundsSubtract) {
  ledger book(test_map());
  book.add("u", at(2024, 1, 31, 23) + 3599, "Exxon", 5000, jan10, nullptr);
  book.add("u", at(2024, 2, 1, 0), "Exxon", 700, jan10, nullptr);
  book.add("u", jan10, "Exxon", -1200, jan10, nullptr); // a refund
  book.add("u", jan10, "Target", -300, jan10, nullptr); // refund only
  book.add("u", -1, "Target", 100, jan10, nullptr);     // 1969-12
  const auto& u = *book.find("u");
  EXPECT_EQ(spent(u, jan, category::gas), 3800);
  EXPECT_EQ(spent(u, jan, category::shopping), -300);
  EXPECT_EQ(spent(u, 202402, category::gas), 700);
  EXPECT_EQ(spent(u, 196912, category::shopping), 100);
  EXPECT_EQ(u.spending.size(), 3u);
}

namespace {

/// A from-scratch model of the ledger's contract.
class model {
public:
  explicit model(const seller_map& map) : map_(map) {}

  struct mtxn {
    int64_t at = 0;
    int64_t cents = 0;
    std::string seller;
    bool manual = false;
    category manual_cat = category::uncategorized;
  };

  struct muser {
    std::vector<mtxn> txns;
    int64_t income = 0;
    std::array<int64_t, budget_categories> budgets{};
    muser() { budgets.fill(-1); }
  };

  using note_id = std::tuple<std::string, int32_t, category, bool>;
  /// (user, month, category) whose notifications an operation checked.
  using checked = std::set<std::tuple<std::string, int32_t, category>>;

  category category_of(const mtxn& t) const {
    if (t.manual)
      return t.manual_cat;
    auto key = seller_key(t.seller);
    if (auto b = map_.find(key))
      return *b;
    auto c = crowd_.find(key);
    return c == crowd_.end() ? category::uncategorized : c->second;
  }

  std::map<int32_t, std::array<int64_t, category_count>>
  spending(const muser& u) const {
    std::map<int32_t, std::array<int64_t, category_count>> out;
    for (const auto& t : u.txns) {
      auto& row = out.try_emplace(month_of(t.at)).first->second;
      row[static_cast<size_t>(category_of(t))] += t.cents;
    }
    return out;
  }

  int64_t spent(const std::string& user, int32_t month, category c) const {
    int64_t sum = 0;
    for (const auto& t : users_.at(user).txns)
      if (month_of(t.at) == month && category_of(t) == c)
        sum += t.cents;
    return sum;
  }

  int64_t budget(const std::string& user, category c) const {
    const auto& u = users_.at(user);
    auto i = static_cast<size_t>(c);
    if (i >= budget_categories)
      return 0;
    return u.budgets[i] >= 0 ? u.budgets[i]
                             : u.income * template_per_mille[i] / 1000;
  }

  /// Categories of every transaction, to see what an operation changed.
  std::map<std::pair<std::string, size_t>, category> snapshot() const {
    std::map<std::pair<std::string, size_t>, category> out;
    for (const auto& [id, u] : users_)
      for (size_t i = 0; i < u.txns.size(); ++i)
        out[{id, i}] = category_of(u.txns[i]);
    return out;
  }

  const seller_map& map_;
  std::map<std::string, muser> users_;
  std::map<std::string, category> crowd_;
  std::set<note_id> sent_;
};

/// Runs random operations on a ledger and the model, comparing after each.
void run_random(uint64_t seed, int steps) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) {
    return static_cast<size_t>(
        std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  };
  auto chance = [&](int percent) { return pick(100) < size_t(percent); };
  const std::vector<std::string> users{"u0", "u1", "u2", "u3", "u4"};
  const std::vector<std::string> sellers{
      "Exxon",        "  EXXON ",     "Target",      "Home Depot",
      "Joe's Diner",  "JOE'S  DINER", "joe's diner", "Corner Shop",
      "Corner\tshop", "Zed's",        "Café Nero",   "CAFÉ NERO",
      "Late Comer"};
  std::vector<std::string> keys;
  for (const auto& s : sellers)
    keys.push_back(seller_key(s));
  keys.push_back("never seen");
  // Times over five months, plus some before 1970.
  const int64_t lo = at(2023, 11, 1, 0);
  const int64_t hi = at(2024, 4, 1, 0);
  auto random_time = [&]() -> int64_t {
    if (chance(5))
      return -static_cast<int64_t>(pick(40 * 86400)) - 1;
    return lo + static_cast<int64_t>(pick(static_cast<size_t>(hi - lo)));
  };
  auto random_cents = [&]() -> int64_t {
    if (chance(3))
      return 0;
    if (chance(25))
      return -1 - static_cast<int64_t>(pick(10'000));
    return 1 + static_cast<int64_t>(pick(30'000));
  };
  auto random_budget_cat = [&] {
    return static_cast<category>(pick(budget_categories));
  };

  ledger book(test_map());
  model m(test_map());
  size_t total = 0;
  // How much the run exercised, so it cannot pass vacuously.
  size_t notes_fired = 0;
  size_t exceeded_fired = 0;
  size_t recategorized = 0;
  size_t manual_moves = 0;

  for (int step = 0; step < steps; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const int64_t now = random_time();
    std::vector<fired_note> fired;
    model::checked checked;
    bool exact_spent = true; // one check per (month, category)
    auto op = pick(100);
    std::string u = users[pick(users.size())];
    if (op < 55 || m.users_.empty()) {
      model::mtxn t;
      t.at = random_time();
      t.cents = random_cents();
      t.seller = sellers[pick(sellers.size())];
      if (t.seller == "Late Comer" && step < steps / 2)
        t.seller = "Zed's";
      auto& mu = m.users_[u];
      mu.txns.push_back(t);
      ++total;
      auto id = book.add(u, t.at, t.seller, t.cents, now, &fired);
      ASSERT_EQ(id, mu.txns.size());
      checked.insert({u, month_of(t.at), m.category_of(t)});
    } else if (op < 75) {
      auto it = m.users_.find(u);
      size_t n = it == m.users_.end() ? 0 : it->second.txns.size();
      uint32_t id = static_cast<uint32_t>(pick(n + 2)); // 0 and n+1: bad
      auto c = random_budget_cat();
      auto r = book.set_manual(u, id, c, now, &fired);
      if (id < 1 || id > n) {
        ASSERT_FALSE(r.has_value());
      } else {
        ASSERT_TRUE(r.has_value());
        auto& t = it->second.txns[id - 1];
        auto before = m.category_of(t);
        t.manual = true;
        t.manual_cat = c;
        auto key = seller_key(t.seller);
        EXPECT_EQ(r->vote_key, test_map().find(key) ? "" : key);
        if (before != c) {
          // Both cells are checked: a refund leaving raises spending.
          checked.insert({u, month_of(t.at), c});
          checked.insert({u, month_of(t.at), before});
          ++manual_moves;
        }
      }
    } else if (op < 88) {
      const auto& key = keys[pick(keys.size())];
      auto c = random_budget_cat();
      auto before = m.snapshot();
      m.crowd_[key] = c;
      auto after = m.snapshot();
      size_t changed = 0;
      for (const auto& [where, cat] : after)
        if (before.at(where) != cat) {
          ++changed;
          const auto& t = m.users_.at(where.first).txns[where.second];
          checked.insert({where.first, month_of(t.at), cat});
          checked.insert({where.first, month_of(t.at), before.at(where)});
        }
      EXPECT_EQ(book.set_crowd(key, c, now, &fired), changed);
      recategorized += changed;
      EXPECT_EQ(book.crowd(key), c);
      exact_spent = false;
    } else if (op < 94) {
      static const int64_t incomes[] = {0, 100'000, 250'000, 1'000'000};
      auto income = incomes[pick(4)];
      m.users_[u].income = income;
      book.set_income(u, income, now, &fired);
      for (size_t c = 0; c < budget_categories; ++c)
        checked.insert({u, month_of(now), static_cast<category>(c)});
    } else {
      static const int64_t amounts[] = {-1, 0, 5'000, 20'000, 100'000};
      auto c = random_budget_cat();
      auto amount = amounts[pick(5)];
      m.users_[u].budgets[static_cast<size_t>(c)] = amount;
      book.set_budget(u, c, amount, now, &fired);
      checked.insert({u, month_of(now), c});
    }

    // Every fired notification: new, for a checked (month, category),
    // justified by the spending and budget when it fired.
    notes_fired += fired.size();
    for (const auto& f : fired) {
      const auto& n = f.n;
      exceeded_fired += n.exceeded;
      auto id = model::note_id{f.user, n.month, n.cat, n.exceeded};
      EXPECT_TRUE(m.sent_.insert(id).second)
          << "again: " << f.user << " " << n.month << " " << to_string(n.cat)
          << (n.exceeded ? " exceeded" : " approaching");
      EXPECT_EQ(checked.count({f.user, n.month, n.cat}), 1u)
          << "unchecked: " << f.user << " " << n.month << " "
          << to_string(n.cat);
      EXPECT_EQ(n.created_at, now);
      EXPECT_EQ(n.budget, m.budget(f.user, n.cat));
      EXPECT_GT(n.budget, 0);
      if (n.exceeded) {
        EXPECT_GT(n.spent, n.budget);
      } else {
        EXPECT_GE(n.spent * 10, n.budget * 8);
      }
      if (exact_spent) {
        EXPECT_EQ(n.spent, m.spent(f.user, n.month, n.cat));
      }
    }
    // Every checked (month, category) over a threshold has its
    // notification, now or from before.
    for (const auto& [user, month, c] : checked) {
      auto b = m.budget(user, c);
      auto s = m.spent(user, month, c);
      if (b <= 0)
        continue;
      if (s * 10 >= b * 8) {
        EXPECT_EQ(m.sent_.count({user, month, c, false}), 1u)
            << "missing approaching " << user << " " << month << " "
            << to_string(c) << " " << s << "/" << b;
      }
      if (s > b) {
        EXPECT_EQ(m.sent_.count({user, month, c, true}), 1u)
            << "missing exceeded " << user << " " << month << " "
            << to_string(c) << " " << s << "/" << b;
      }
    }

    // The whole state against the model.
    ASSERT_EQ(book.users(), m.users_.size());
    ASSERT_EQ(book.transactions(), total);
    for (const auto& [id, mu] : m.users_) {
      const auto* lu = book.find(id);
      ASSERT_NE(lu, nullptr) << id;
      ASSERT_EQ(lu->txns.size(), mu.txns.size()) << id;
      for (size_t i = 0; i < mu.txns.size(); ++i) {
        const auto& lt = lu->txns[i];
        const auto& mt = mu.txns[i];
        ASSERT_EQ(lt.created_at, mt.at);
        ASSERT_EQ(lt.cents, mt.cents);
        ASSERT_EQ(book.seller(lt.seller).name, mt.seller);
        ASSERT_EQ(lt.manual, mt.manual);
        ASSERT_EQ(lt.cat, m.category_of(mt))
            << id << " #" << i + 1 << " " << mt.seller;
      }
      ASSERT_EQ(lu->spending, m.spending(mu)) << id;
      ASSERT_EQ(lu->income, mu.income);
      ASSERT_EQ(lu->budgets, mu.budgets);
      for (size_t c = 0; c < budget_categories; ++c)
        ASSERT_EQ(ledger::budget_of(*lu, static_cast<category>(c)),
                  m.budget(id, static_cast<category>(c)));
      size_t sent = 0;
      for (const auto& n : lu->notes) {
        EXPECT_EQ(m.sent_.count({id, n.month, n.cat, n.exceeded}), 1u);
        ++sent;
      }
      size_t expected = 0;
      for (const auto& s : m.sent_)
        expected += std::get<0>(s) == id;
      ASSERT_EQ(sent, expected) << id;
    }
  }
  EXPECT_GT(notes_fired, 20u);
  EXPECT_GT(exceeded_fired, 5u);
  EXPECT_GT(recategorized, 20u);
  EXPECT_GT(manual_moves, 20u);
  std::cout << "seed " << seed << ": " << total << " transactions, "
            << notes_fired << " notifications (" << exceeded_fired
            << " exceeded), " << recategorized << " re-categorized by the "
            << "crowd, " << manual_moves << " manual moves\n";
}

} // namespace

TEST(MintLedger, RandomOperationsMatchAFromScratchModel) {
  for (uint64_t seed : {1u, 2u, 3u, 20240229u})
    run_random(seed, 1000);
}

TEST(MintLedger, ApproachingAtExactlyEightyPercent) {
  ledger book(test_map());
  book.set_budget("u", category::gas, 10'000, jan10, nullptr); // 100.00
  std::vector<fired_note> fired;
  book.add("u", jan10, "Exxon", 7'999, jan10, &fired); // 79.99
  EXPECT_TRUE(fired.empty());
  book.add("u", jan10, "Exxon", 1, jan20, &fired); // 80.00
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].user, "u");
  EXPECT_FALSE(fired[0].n.exceeded);
  EXPECT_EQ(fired[0].n.cat, category::gas);
  EXPECT_EQ(fired[0].n.month, jan);
  EXPECT_EQ(fired[0].n.spent, 8'000);
  EXPECT_EQ(fired[0].n.budget, 10'000);
  EXPECT_EQ(fired[0].n.created_at, jan20);
  ASSERT_EQ(book.find("u")->notes.size(), 1u);
  EXPECT_EQ(book.find("u")->notes[0].spent, 8'000);
}

TEST(MintLedger, ApproachingBoundaryWithOddBudget) {
  // 80 % of 0.99 is 0.792: 0.79 is below, 0.80 reaches it.
  ledger book(test_map());
  book.set_budget("u", category::gas, 99, jan10, nullptr);
  std::vector<fired_note> fired;
  book.add("u", jan10, "Exxon", 79, jan10, &fired);
  EXPECT_TRUE(fired.empty());
  book.add("u", jan10, "Exxon", 1, jan10, &fired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_FALSE(fired[0].n.exceeded);
}

TEST(MintLedger, ExceededOnlyAboveTheBudget) {
  ledger book(test_map());
  book.set_budget("u", category::gas, 10'000, jan10, nullptr);
  std::vector<fired_note> fired;
  book.add("u", jan10, "Exxon", 10'000, jan10, &fired); // exactly 100 %
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_FALSE(fired[0].n.exceeded);
  fired.clear();
  book.add("u", jan10, "Exxon", 1, jan10, &fired); // 100.01
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_TRUE(fired[0].n.exceeded);
  EXPECT_EQ(fired[0].n.spent, 10'001);
  EXPECT_EQ(fired[0].n.budget, 10'000);
}

TEST(MintLedger, EachKindOncePerMonthAndCategory) {
  ledger book(test_map());
  book.set_budget("u", category::gas, 10'000, jan10, nullptr);
  std::vector<fired_note> fired;
  book.add("u", jan10, "Exxon", 9'000, jan10, &fired);  // approaching
  book.add("u", jan10, "Exxon", -5'000, jan10, &fired); // 40.00
  book.add("u", jan10, "Exxon", 5'000, jan10, &fired);  // 90.00 again
  ASSERT_EQ(fired.size(), 1u);
  book.add("u", jan10, "Exxon", 3'000, jan10, &fired); // 120.00: exceeded
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_TRUE(fired[1].n.exceeded);
  book.add("u", jan10, "Exxon", -7'000, jan10, &fired); // 50.00
  book.add("u", jan10, "Exxon", 8'000, jan10, &fired);  // 130.00 again
  book.add("u", jan20, "Exxon", 1, jan20, &fired);
  EXPECT_EQ(fired.size(), 2u);
  EXPECT_EQ(book.find("u")->notes.size(), 2u);

  // Another month and another category have their own.
  book.add("u", feb10, "Exxon", 20'000, feb10, &fired);
  ASSERT_EQ(fired.size(), 4u);
  EXPECT_EQ(fired[2].n.month, 202402);
  EXPECT_EQ(fired[3].n.month, 202402);
  book.set_budget("u", category::shopping, 10'000, jan10, nullptr);
  book.add("u", jan10, "Target", 20'000, jan10, &fired);
  ASSERT_EQ(fired.size(), 6u);
  EXPECT_EQ(fired[4].n.cat, category::shopping);
  EXPECT_EQ(fired[5].n.cat, category::shopping);
  // Other users have their own.
  book.set_budget("v", category::gas, 10'000, jan10, nullptr);
  book.add("v", jan10, "Exxon", 20'000, jan10, &fired);
  ASSERT_EQ(fired.size(), 8u);
  EXPECT_EQ(fired[7].user, "v");
}

TEST(MintLedger, OneJumpFiresBoth) {
  ledger book(test_map());
  book.set_budget("u", category::gas, 10'000, jan10, nullptr);
  std::vector<fired_note> fired;
  book.add("u", jan10, "Exxon", 15'000, jan20, &fired); // 0 -> 150 %
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_FALSE(fired[0].n.exceeded);
  EXPECT_TRUE(fired[1].n.exceeded);
  for (const auto& f : fired) {
    EXPECT_EQ(f.n.spent, 15'000);
    EXPECT_EQ(f.n.budget, 10'000);
    EXPECT_EQ(f.n.month, jan);
    EXPECT_EQ(f.n.created_at, jan20);
  }
  EXPECT_EQ(book.find("u")->notes.size(), 2u);
}

TEST(MintLedger, NoNotificationsForZeroBudgets) {
  ledger book(test_map());
  std::vector<fired_note> fired;
  // No income: the template budgets 0.
  book.add("u", jan10, "Exxon", 15'000, jan10, &fired);
  EXPECT_TRUE(fired.empty());
  // An explicit 0 too, even with an income.
  book.set_income("u", 1'000'000, jan10, &fired);
  fired.clear();
  book.set_budget("u", category::shopping, 0, jan10, &fired);
  book.add("u", jan10, "Target", 15'000, jan10, &fired);
  EXPECT_TRUE(fired.empty());
  // Uncategorized is never budgeted.
  book.add("u", jan10, "Nobody Knows", 15'000'000, jan10, &fired);
  EXPECT_TRUE(fired.empty());
  EXPECT_EQ(ledger::budget_of(*book.find("u"), category::uncategorized), 0);
}

TEST(MintLedger, ZeroSpendingAgainstAZeroBudgetNotifiesNothing) {
  ledger book(test_map());
  std::vector<fired_note> fired;
  book.set_income("u", 0, jan10, &fired);
  book.set_budget("u", category::gas, 0, jan10, &fired);
  EXPECT_TRUE(fired.empty());
  EXPECT_TRUE(book.find("u")->notes.empty());
}

TEST(MintLedger, NullFiredRecordsNothing) {
  ledger book(test_map());
  book.set_budget("u", category::gas, 10'000, jan10, nullptr);
  book.add("u", jan10, "Exxon", 15'000, jan10, nullptr);
  EXPECT_TRUE(book.find("u")->notes.empty());
  // Replay restores the stored notes; live operations then do not repeat
  // them.
  note approaching{jan10, jan, category::gas, false, 15'000, 10'000};
  book.restore_note("u", approaching);
  std::vector<fired_note> fired;
  book.add("u", jan10, "Exxon", 100, jan20, &fired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_TRUE(fired[0].n.exceeded);
  EXPECT_EQ(fired[0].n.spent, 15'100);
  EXPECT_EQ(book.find("u")->notes.size(), 2u);
}

TEST(MintLedger, RestoreAndSortNotes) {
  ledger book(test_map());
  note a{300, jan, category::gas, false, 1, 1};
  note b{100, jan, category::food, false, 2, 2};
  note c{200, jan, category::health, true, 3, 3};
  note d{100, jan, category::travel, true, 4, 4};
  for (const auto& n : {a, b, c, d})
    book.restore_note("u", n);
  book.sort_notes();
  const auto& notes = book.find("u")->notes;
  ASSERT_EQ(notes.size(), 4u);
  EXPECT_EQ(notes[0].cat, category::food); // stable among equal times
  EXPECT_EQ(notes[1].cat, category::travel);
  EXPECT_EQ(notes[2].cat, category::health);
  EXPECT_EQ(notes[3].cat, category::gas);
}

TEST(MintLedger, ManualOverrideAndCrowdCheckTheNewCategory) {
  ledger book(test_map());
  book.set_budget("u", category::food, 10'000, jan10, nullptr);
  book.set_budget("u", category::travel, 10'000, jan10, nullptr);
  std::vector<fired_note> fired;
  auto a = book.add("u", jan10, "Joe's Diner", 8'500, jan10, &fired);
  EXPECT_TRUE(fired.empty());
  ASSERT_TRUE(book.set_manual("u", a, category::food, jan20, &fired));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].n.cat, category::food);
  EXPECT_EQ(fired[0].n.month, jan);
  EXPECT_EQ(fired[0].n.created_at, jan20);
  fired.clear();
  book.add("u", feb10, "Joe's Diner", 12'000, feb10, &fired);
  EXPECT_TRUE(fired.empty());
  EXPECT_EQ(book.set_crowd("joe's diner", category::travel, feb10, &fired), 1u);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].n.cat, category::travel);
  EXPECT_EQ(fired[0].n.month, 202402);
  EXPECT_TRUE(fired[1].n.exceeded);
}

TEST(MintLedger, SetIncomeRechecksOnlyTheMonthOfNow) {
  ledger book(test_map());
  std::vector<fired_note> fired;
  book.add("u", jan10, "Exxon", 5'000, jan10, &fired); // gas 50.00 in Jan
  book.add("u", feb10, "Exxon", 100, feb10, &fired);   // gas 1.00 in Feb
  EXPECT_TRUE(fired.empty());
  // Income 1,000.00: gas gets 5 %, 50.00. January is over it... but
  // `now` is in February, where gas is at 2 %.
  book.set_income("u", 100'000, feb10, &fired);
  EXPECT_TRUE(fired.empty());
  EXPECT_TRUE(book.find("u")->notes.empty());
  // With `now` in January, January is checked: 50.00 of 50.00.
  book.set_income("u", 100'000, jan20, &fired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].n.month, jan);
  EXPECT_EQ(fired[0].n.cat, category::gas);
  EXPECT_FALSE(fired[0].n.exceeded);
  EXPECT_EQ(fired[0].n.budget, 5'000);
  EXPECT_EQ(fired[0].n.created_at, jan20);
  // A lower income: exceeded.
  fired.clear();
  book.set_income("u", 90'000, jan20, &fired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_TRUE(fired[0].n.exceeded);
  EXPECT_EQ(fired[0].n.budget, 4'500);
}

TEST(MintLedger, SetBudgetRechecksOnlyItsCategoryInTheMonthOfNow) {
  ledger book(test_map());
  std::vector<fired_note> fired;
  book.add("u", jan10, "Exxon", 5'000, jan10, &fired);
  book.add("u", jan10, "Target", 5'000, jan10, &fired);
  book.set_budget("u", category::gas, 1'000, feb10, &fired);
  EXPECT_TRUE(fired.empty());
  book.set_budget("u", category::gas, 1'000, jan20, &fired);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].n.cat, category::gas);
  EXPECT_FALSE(fired[0].n.exceeded);
  EXPECT_TRUE(fired[1].n.exceeded);
  // Shopping is over its budget too once it has one, but set_budget of
  // gas checks gas only; shopping's own set_budget then checks it.
  book.set_income("u", 0, feb10, nullptr);
  book.user("u").budgets[static_cast<size_t>(category::shopping)] = 1'000;
  fired.clear();
  book.set_budget("u", category::gas, 500, jan20, &fired);
  EXPECT_TRUE(fired.empty()); // gas already notified for January
  book.set_budget("u", category::shopping, 1'000, jan20, &fired);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].n.cat, category::shopping);
  EXPECT_EQ(fired[1].n.cat, category::shopping);
}

TEST(MintLedger, BudgetOfTemplateVersusOverride) {
  ledger book(test_map());
  auto& u = book.user("u");
  for (size_t c = 0; c < budget_categories; ++c)
    EXPECT_EQ(ledger::budget_of(u, static_cast<category>(c)), 0);
  book.set_income("u", 123'456, jan10, nullptr);              // 1,234.56
  EXPECT_EQ(ledger::budget_of(u, category::housing), 37'036); // floor
  EXPECT_EQ(ledger::budget_of(u, category::food), 12'345);
  EXPECT_EQ(ledger::budget_of(u, category::groceries), 12'345);
  EXPECT_EQ(ledger::budget_of(u, category::shopping), 12'345);
  EXPECT_EQ(ledger::budget_of(u, category::gas), 6'172);
  EXPECT_EQ(ledger::budget_of(u, category::travel), 6'172);
  EXPECT_EQ(ledger::budget_of(u, category::uncategorized), 0);
  book.set_budget("u", category::food, 50'000, jan10, nullptr);
  EXPECT_EQ(u.budgets[static_cast<size_t>(category::food)], 50'000);
  EXPECT_EQ(ledger::budget_of(u, category::food), 50'000);
  book.set_budget("u", category::gas, 0, jan10, nullptr);
  EXPECT_EQ(ledger::budget_of(u, category::gas), 0);
  book.set_budget("u", category::food, -1, jan10, nullptr); // template
  EXPECT_EQ(ledger::budget_of(u, category::food), 12'345);
  // The template follows the income; overrides do not.
  book.set_income("u", 1'000'000, jan10, nullptr);
  EXPECT_EQ(ledger::budget_of(u, category::food), 100'000);
  EXPECT_EQ(ledger::budget_of(u, category::housing), 300'000);
  EXPECT_EQ(ledger::budget_of(u, category::gas), 0);
  // The template shares 90 % of the income.
  book.set_budget("u", category::gas, -1, jan10, nullptr);
  int64_t sum = 0;
  for (size_t c = 0; c < budget_categories; ++c)
    sum += ledger::budget_of(u, static_cast<category>(c));
  EXPECT_EQ(sum, 900'000);
}
