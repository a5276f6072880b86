// The exact JSON of Mint's reads for a small ledger: transactions of a
// month newest first (limit), spending largest first without zero sums,
// the ten budget rows with their source, notifications newest first
// (limit), and jobs with and without an error.
#include "troupe/mint/render.hpp"

#include <gtest/gtest.h>

#include <string>

#include "troupe/timestamp.hpp"

using namespace troupe::mint;

namespace {

int64_t at(int y, unsigned m, unsigned d, int hh = 12, int mm = 0, int ss = 0) {
  return troupe::days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

const seller_map& test_map() {
  static const seller_map m = [] {
    seller_map s;
    std::string why;
    EXPECT_TRUE(s.load("Exxon\tgas\nTarget\tshopping\n", why)) << why;
    return s;
  }();
  return m;
}

class MintRender : public ::testing::Test {
protected:
  void SetUp() override {
    book.add("u", at(2024, 1, 10), "Exxon", 5000, 0, nullptr);           // 1
    book.add("u", at(2024, 1, 20), "Joe \"Q\" Diner", 1250, 0, nullptr); // 2
    book.add("u", at(2024, 1, 15), "Target", -310, 0, nullptr);          // 3
    book.add("u", at(2024, 2, 10), "Exxon", 700, 0, nullptr);            // 4
    book.add("u", at(2024, 1, 5), "Target", 2000, 0, nullptr);           // 5
    book.add("u", at(2024, 1, 16), "Target", 310, 0, nullptr);           // 6
    book.add("u", at(2024, 1, 25, 8, 30, 15), "Refund Place", -99, 0,
             nullptr); // 7
    ASSERT_TRUE(book.set_manual("u", 5, category::food, 0, nullptr));
    ASSERT_TRUE(book.set_manual("u", 7, category::travel, 0, nullptr));
    book.set_income("u", 100'000, 0, nullptr);
    book.set_budget("u", category::food, 15'000, 0, nullptr);
    book.set_budget("u", category::travel, 0, 0, nullptr);
  }

  const user_state& u() const { return *book.find("u"); }

  ledger book{test_map()};
};

} // namespace

TEST_F(MintRender, TransactionsNewestFirst) {
  EXPECT_EQ(render_transactions(book, u(), 202401, 100),
            R"([{"transaction_id":"7","created_at":"2024-01-25T08:30:15Z",)"
            R"("seller":"Refund Place","amount":"-0.99","category":"travel",)"
            R"("manual":true},)"
            R"({"transaction_id":"2","created_at":"2024-01-20T12:00:00Z",)"
            R"("seller":"Joe \"Q\" Diner","amount":"12.50",)"
            R"("category":"uncategorized","manual":false},)"
            R"({"transaction_id":"6","created_at":"2024-01-16T12:00:00Z",)"
            R"("seller":"Target","amount":"3.10","category":"shopping",)"
            R"("manual":false},)"
            R"({"transaction_id":"3","created_at":"2024-01-15T12:00:00Z",)"
            R"("seller":"Target","amount":"-3.10","category":"shopping",)"
            R"("manual":false},)"
            R"({"transaction_id":"1","created_at":"2024-01-10T12:00:00Z",)"
            R"("seller":"Exxon","amount":"50.00","category":"gas",)"
            R"("manual":false},)"
            R"({"transaction_id":"5","created_at":"2024-01-05T12:00:00Z",)"
            R"("seller":"Target","amount":"20.00","category":"food",)"
            R"("manual":true}])");
}

TEST_F(MintRender, TransactionsLimitKeepsTheNewest) {
  EXPECT_EQ(render_transactions(book, u(), 202401, 2),
            R"([{"transaction_id":"7","created_at":"2024-01-25T08:30:15Z",)"
            R"("seller":"Refund Place","amount":"-0.99","category":"travel",)"
            R"("manual":true},)"
            R"({"transaction_id":"2","created_at":"2024-01-20T12:00:00Z",)"
            R"("seller":"Joe \"Q\" Diner","amount":"12.50",)"
            R"("category":"uncategorized","manual":false}])");
  EXPECT_EQ(render_transactions(book, u(), 202402, 1),
            R"([{"transaction_id":"4","created_at":"2024-02-10T12:00:00Z",)"
            R"("seller":"Exxon","amount":"7.00","category":"gas",)"
            R"("manual":false}])");
  EXPECT_EQ(render_transactions(book, u(), 202403, 100), "[]");
  EXPECT_EQ(render_transactions(book, u(), 202401, 0), "[]");
}

TEST_F(MintRender, SpendingLargestFirstWithoutZeros) {
  // Shopping is 3.10 - 3.10 = 0: left out. A negative sum is kept, last.
  EXPECT_EQ(render_spending(u(), 202401),
            R"([{"category":"gas","amount":"50.00"},)"
            R"({"category":"food","amount":"20.00"},)"
            R"({"category":"uncategorized","amount":"12.50"},)"
            R"({"category":"travel","amount":"-0.99"}])");
  EXPECT_EQ(render_spending(u(), 202402),
            R"([{"category":"gas","amount":"7.00"}])");
  EXPECT_EQ(render_spending(u(), 202403), "[]");
}

TEST_F(MintRender, BudgetHasTenRowsWithTheirSource) {
  EXPECT_EQ(render_budget(u(), 202401),
            R"([{"category":"housing","budget":"300.00","spent":"0.00",)"
            R"("source":"template"},)"
            R"({"category":"food","budget":"150.00","spent":"20.00",)"
            R"("source":"user"},)"
            R"({"category":"groceries","budget":"100.00","spent":"0.00",)"
            R"("source":"template"},)"
            R"({"category":"gas","budget":"50.00","spent":"50.00",)"
            R"("source":"template"},)"
            R"({"category":"transport","budget":"50.00","spent":"0.00",)"
            R"("source":"template"},)"
            R"({"category":"shopping","budget":"100.00","spent":"0.00",)"
            R"("source":"template"},)"
            R"({"category":"utilities","budget":"50.00","spent":"0.00",)"
            R"("source":"template"},)"
            R"({"category":"health","budget":"50.00","spent":"0.00",)"
            R"("source":"template"},)"
            R"({"category":"entertainment","budget":"50.00","spent":"0.00",)"
            R"("source":"template"},)"
            R"({"category":"travel","budget":"0.00","spent":"-0.99",)"
            R"("source":"user"}])");
}

TEST_F(MintRender, BudgetOfAMonthWithoutSpending) {
  auto json = render_budget(u(), 202312);
  EXPECT_EQ(json.find("\"spent\":\"0.00\""), json.find("\"spent\""));
  size_t rows = 0;
  for (auto p = json.find("\"category\""); p != std::string::npos;
       p = json.find("\"category\"", p + 1))
    ++rows;
  EXPECT_EQ(rows, 10u);
  size_t zeros = 0;
  for (auto p = json.find("\"spent\":\"0.00\""); p != std::string::npos;
       p = json.find("\"spent\":\"0.00\"", p + 1))
    ++zeros;
  EXPECT_EQ(zeros, 10u);
  EXPECT_EQ(json.rfind(R"({"category":"housing","budget":"300.00",)", 1), 1u);
}

TEST_F(MintRender, NotesNewestFirst) {
  EXPECT_EQ(render_notes(u(), 20), "[]");
  note a{at(2024, 1, 10), 202401, category::gas, false, 5000, 5000};
  note b{at(2024, 2, 1, 0), 202402, category::food, true, 20001, 15000};
  note c{at(2024, 1, 20), 202401, category::gas, true, 5100, 5000};
  book.restore_note("u", a);
  book.restore_note("u", b);
  book.restore_note("u", c);
  book.sort_notes();
  const std::string jb =
      R"({"created_at":"2024-02-01T00:00:00Z","category":"food",)"
      R"("kind":"exceeded","spent":"200.01","budget":"150.00",)"
      R"("month":"2024-02"})";
  const std::string jc =
      R"({"created_at":"2024-01-20T12:00:00Z","category":"gas",)"
      R"("kind":"exceeded","spent":"51.00","budget":"50.00",)"
      R"("month":"2024-01"})";
  const std::string ja =
      R"({"created_at":"2024-01-10T12:00:00Z","category":"gas",)"
      R"("kind":"approaching","spent":"50.00","budget":"50.00",)"
      R"("month":"2024-01"})";
  EXPECT_EQ(render_notes(u(), 20), "[" + jb + "," + jc + "," + ja + "]");
  EXPECT_EQ(render_notes(u(), 2), "[" + jb + "," + jc + "]");
  EXPECT_EQ(render_notes(u(), 1), "[" + jb + "]");
  EXPECT_EQ(render_notes(u(), 0), "[]");
}

TEST_F(MintRender, NotesFiredLiveRender) {
  std::vector<fired_note> fired;
  // Gas: 50.00 of 50.00 already; one more cent exceeds it.
  book.add("u", at(2024, 1, 31, 23, 59, 59), "Exxon", 1, at(2024, 2, 3),
           &fired);
  ASSERT_EQ(fired.size(), 2u); // approaching was never recorded (nullptr)
  EXPECT_EQ(render_notes(u(), 1),
            R"([{"created_at":"2024-02-03T12:00:00Z","category":"gas",)"
            R"("kind":"exceeded","spent":"50.01","budget":"50.00",)"
            R"("month":"2024-01"}])");
}

TEST(MintRenderJob, WithoutError) {
  job_record j;
  j.account = "17-1";
  j.status = "done";
  j.transactions = 12;
  j.attempts = 1;
  j.created_at = at(2024, 1, 10);
  j.updated_at = at(2024, 1, 10, 12, 0, 5);
  EXPECT_EQ(render_job("17-3", j),
            R"({"job_id":"17-3","account_id":"17-1","status":"done",)"
            R"("transactions":12,"attempts":1,)"
            R"("created_at":"2024-01-10T12:00:00Z",)"
            R"("updated_at":"2024-01-10T12:00:05Z"})");
}

TEST(MintRenderJob, WithError) {
  job_record j;
  j.account = "3-0";
  j.status = "failed";
  j.transactions = 0;
  j.attempts = 4;
  j.error = "bad_credentials";
  j.created_at = 0;
  j.updated_at = 60;
  EXPECT_EQ(render_job("3-7", j),
            R"({"job_id":"3-7","account_id":"3-0","status":"failed",)"
            R"("transactions":0,"attempts":4,)"
            R"("created_at":"1970-01-01T00:00:00Z",)"
            R"("updated_at":"1970-01-01T00:01:00Z",)"
            R"("error":"bad_credentials"})");
}
