// Parsing an institution's answer: a JSON array of {"id", "created_at",
// "seller", "amount"} with amounts as strings or numbers (at most two
// places), ids as strings or integers; anything else fails naming the bad
// item. And the transactions URL of an account.
#include "troupe/mint/extract.hpp"

#include <gtest/gtest.h>

#include <string>

#include "troupe/mint/money.hpp"

using namespace troupe::mint;

namespace {

/// 2024-03-05T06:07:08Z.
constexpr int64_t t0 = 1709618828;

std::optional<std::vector<txn_entry>> parse(const std::string& body,
                                            std::string& why) {
  return parse_institution_answer(body, "17-3", why);
}

/// One item with `amount` (raw JSON) and the other fields valid.
std::string with_amount(const std::string& amount) {
  return R"([{"id":"x1","created_at":"2024-03-05T06:07:08Z",)"
         R"("seller":"Exxon","amount":)" +
         amount + "}]";
}

std::optional<int64_t> amount_of(const std::string& amount) {
  std::string why;
  auto r = parse(with_amount(amount), why);
  if (!r)
    return std::nullopt;
  EXPECT_EQ(r->size(), 1u);
  return r->at(0).cents;
}

} // namespace

TEST(MintExtract, ParsesItems) {
  std::string why;
  auto r = parse(R"([
    {"id": "a-1", "created_at": "2024-03-05T06:07:08Z", "seller": "Exxon",
     "amount": "12.50"},
    {"id": 42, "created_at": "1709618828", "seller": "Café Nero",
     "amount": -3.07, "extra": [1, 2]}
  ])",
                 why);
  ASSERT_TRUE(r.has_value()) << why;
  ASSERT_EQ(r->size(), 2u);
  const auto& a = (*r)[0];
  EXPECT_EQ(a.ext_id, "a-1");
  EXPECT_EQ(a.created_at, t0);
  EXPECT_EQ(a.seller, "Exxon");
  EXPECT_EQ(a.cents, 1250);
  EXPECT_EQ(a.account, "17-3");
  EXPECT_EQ(a.user, "");
  const auto& b = (*r)[1];
  EXPECT_EQ(b.ext_id, "42");
  EXPECT_EQ(b.created_at, t0);
  EXPECT_EQ(b.seller, "Café Nero");
  EXPECT_EQ(b.cents, -307);
  EXPECT_EQ(b.account, "17-3");
}

TEST(MintExtract, EmptyArrayIsFine) {
  std::string why;
  auto r = parse("[]", why);
  ASSERT_TRUE(r.has_value()) << why;
  EXPECT_TRUE(r->empty());
  r = parse(" \n[ ]\n", why);
  ASSERT_TRUE(r.has_value()) << why;
}

TEST(MintExtract, AmountsAsStringsAndNumbers) {
  EXPECT_EQ(amount_of("12"), 1200);
  EXPECT_EQ(amount_of("12.5"), 1250);
  EXPECT_EQ(amount_of("12.50"), 1250);
  EXPECT_EQ(amount_of("12.0"), 1200);
  EXPECT_EQ(amount_of("0.01"), 1);
  EXPECT_EQ(amount_of("0.1"), 10);
  EXPECT_EQ(amount_of("-3.07"), -307);
  EXPECT_EQ(amount_of("0"), 0);
  EXPECT_EQ(amount_of("-7"), -700);
  EXPECT_EQ(amount_of("\"12\""), 1200);
  EXPECT_EQ(amount_of("\"12.5\""), 1250);
  EXPECT_EQ(amount_of("\"12.50\""), 1250);
  EXPECT_EQ(amount_of("\"-0.05\""), -5);
  EXPECT_EQ(amount_of("19.99"), 1999); // not 1998.9999...
  EXPECT_EQ(amount_of("0.29"), 29);
  EXPECT_EQ(amount_of("100000000000"), max_cents);
  EXPECT_EQ(amount_of("-100000000000"), -max_cents);
  EXPECT_EQ(amount_of("99999999999.99"), 9'999'999'999'999);
}

TEST(MintExtract, RejectsBadAmounts) {
  const char* cases[] = {
      "\"1.234\"",
      "1.234",
      "0.001",
      "1e-3",
      "\"1e3\"",
      "\"\"",
      "\"abc\"",
      "\" 1\"",
      "null",
      "true",
      "[]",
      "{}",
      "100000000001",
      "-100000000001",
      "\"100000000000.01\"",
      "1e20",
      "18446744073709551616",
  };
  for (const char* a : cases) {
    std::string why;
    EXPECT_FALSE(parse(with_amount(a), why).has_value()) << a;
  }
}

TEST(MintExtract, HugeUnsignedAmountsDoNotWrapAround) {
  // Integers between 2^63 and 2^64 - 1 are JSON numbers nlohmann keeps as
  // unsigned; they are far above max_cents and must be refused, not read
  // as small negative amounts.
  const char* cases[] = {"18446744073709551615", "18446744073709551516",
                         "9223372036854775808"};
  for (const char* a : cases) {
    std::string why;
    auto r = parse(with_amount(a), why);
    EXPECT_FALSE(r.has_value())
        << a << " parsed as " << format_cents(r ? r->at(0).cents : 0);
  }
}

TEST(MintExtract, IdsAsStringsOrIntegers) {
  auto id_of = [](const std::string& id) -> std::optional<std::string> {
    std::string why;
    auto r = parse(R"([{"id":)" + id +
                       R"(,"created_at":"0","seller":"S","amount":1}])",
                   why);
    if (!r)
      return std::nullopt;
    return r->at(0).ext_id;
  };
  EXPECT_EQ(id_of("\"abc\""), "abc");
  EXPECT_EQ(id_of("7"), "7");
  EXPECT_EQ(id_of("-7"), "-7");
  EXPECT_EQ(id_of("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(id_of("\"" + std::string(128, 'i') + "\""), std::string(128, 'i'));
  EXPECT_FALSE(id_of("\"\""));
  EXPECT_FALSE(id_of("\"" + std::string(129, 'i') + "\""));
  EXPECT_FALSE(id_of("1.5"));
  EXPECT_FALSE(id_of("null"));
  EXPECT_FALSE(id_of("true"));
  EXPECT_FALSE(id_of("[1]"));
  EXPECT_FALSE(id_of("{}"));
}

TEST(MintExtract, RejectsNonArrays) {
  const char* cases[] = {
      "",     "{}",
      "null", "\"[]\"",
      "42",   "[",
      "[1,",  "not json",
      "[]]",  R"({"id":"1","created_at":"0","seller":"S","amount":1})"};
  for (const char* body : cases) {
    std::string why;
    EXPECT_FALSE(parse(body, why).has_value()) << body;
    EXPECT_EQ(why, "the answer is not a JSON array") << body;
  }
}

TEST(MintExtract, BadItemsAreNamedByIndex) {
  const std::string good =
      R"({"id":"1","created_at":"2024-03-05T06:07:08Z","seller":"S",)"
      R"("amount":"1.00"})";
  const std::string bad[] = {
      // Missing fields.
      R"({"created_at":"0","seller":"S","amount":1})",
      R"({"id":"1","seller":"S","amount":1})",
      R"({"id":"1","created_at":"0","amount":1})",
      R"({"id":"1","created_at":"0","seller":"S"})",
      // Not an object.
      R"(["1","0","S","1"])",
      R"("item")",
      "null",
      // Bad amount.
      R"({"id":"1","created_at":"0","seller":"S","amount":"1.234"})",
      // Bad sellers.
      R"({"id":"1","created_at":"0","seller":"","amount":1})",
      R"({"id":"1","created_at":"0","seller":"a\u0001b","amount":1})",
      R"({"id":"1","created_at":"0","seller":"a\nb","amount":1})",
      R"({"id":"1","created_at":"0","seller":7,"amount":1})",
      R"({"id":"1","created_at":"0","seller":")" + std::string(65, 's') +
          R"(","amount":1})",
      // Bad timestamps.
      R"({"id":"1","created_at":"2024-02-30T00:00:00Z","seller":"S",)"
      R"("amount":1})",
      R"({"id":"1","created_at":"yesterday","seller":"S","amount":1})",
      R"({"id":"1","created_at":"","seller":"S","amount":1})",
      R"({"id":"1","created_at":"-5","seller":"S","amount":1})",
      R"({"id":"1","created_at":"1969-12-31T23:59:59Z","seller":"S",)"
      R"("amount":1})",
      R"({"id":"1","created_at":null,"seller":"S","amount":1})",
  };
  for (const auto& item : bad) {
    for (size_t index : {0u, 2u}) {
      std::string body = "[";
      for (size_t i = 0; i < 3; ++i)
        body += (i > 0 ? "," : "") + (i == index ? item : good);
      body += "]";
      std::string why;
      EXPECT_FALSE(parse(body, why).has_value()) << body;
      EXPECT_EQ(why,
                "item " + std::to_string(index) +
                    " is not {\"id\",\"created_at\",\"seller\",\"amount\"}")
          << body;
    }
  }
  // The same items are fine once fixed, so the checks above are precise.
  std::string why;
  EXPECT_TRUE(parse("[" + good + "," + good + "]", why).has_value()) << why;
}

TEST(MintExtract, FailureNames) {
  EXPECT_STREQ(to_string(extract_failure::none), "");
  EXPECT_STREQ(to_string(extract_failure::bad_credentials), "bad_credentials");
  EXPECT_STREQ(to_string(extract_failure::unreachable), "unreachable");
  EXPECT_STREQ(to_string(extract_failure::bad_response), "bad_response");
}

TEST(MintExtract, TransactionsUrl) {
  EXPECT_EQ(transactions_url("https://bank.example", "2024-03-05"),
            "https://bank.example/transactions?since=2024-03-05");
  EXPECT_EQ(transactions_url("https://bank.example/", "2024-03-05"),
            "https://bank.example/transactions?since=2024-03-05");
  EXPECT_EQ(transactions_url("https://bank.example///", "2024-03-05"),
            "https://bank.example/transactions?since=2024-03-05");
  EXPECT_EQ(transactions_url("http://h:8080/api/v2/acct/9/", "1970-01-01"),
            "http://h:8080/api/v2/acct/9/transactions?since=1970-01-01");
  EXPECT_EQ(transactions_url("http://h/api", "2024-12-31"),
            "http://h/api/transactions?since=2024-12-31");
}
