#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "troupe/mint/ledger.hpp"
#include "troupe/mint/records.hpp"

/// The JSON bodies of Mint's reads (money as two-place decimal strings,
/// times as ISO 8601 UTC).
namespace troupe::mint {

/// `[{"transaction_id","created_at","seller","amount","category"}]` of
/// `month` (YYYYMM), newest first, at most `limit`.
std::string render_transactions(const ledger& book, const user_state& u,
                                int32_t month, size_t limit);

/// `[{"category","amount"}]` of `month`: categories with spending, the
/// largest first.
std::string render_spending(const user_state& u, int32_t month);

/// `[{"category","budget","spent"}]` of every budget category in `month`.
std::string render_budget(const user_state& u, int32_t month);

/// `[{"created_at","category","kind","spent","budget","month"}]`, newest
/// first, at most `limit`.
std::string render_notes(const user_state& u, size_t limit);

/// `{"job_id","account_id","status","transactions","attempts",
/// "created_at","updated_at"[,"error"]}`.
std::string render_job(std::string_view id, const job_record& j);

} // namespace troupe::mint
