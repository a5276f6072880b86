#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "troupe/mint/records.hpp"

namespace troupe::mint {

/// Why an extraction failed, as the job reports it.
enum class extract_failure : uint8_t {
  none,
  /// The institution refused the login (401 or 403).
  bad_credentials,
  /// No answer (connect or read timeouts, refused address, 5xx) after every
  /// try.
  unreachable,
  /// An answer that is not the promised JSON array, too large, or another
  /// 4xx status.
  bad_response,
};

/// Returns the job's `error` text of `x` (`"bad_credentials"`, ...).
const char* to_string(extract_failure x);

/// Parses an institution's answer: a JSON array of
/// `{"id","created_at","seller","amount"}` (`amount` a decimal string or a
/// JSON number with at most two places, `created_at` ISO 8601 or Unix
/// seconds). Returns the transactions (`account` set, `user` empty), or
/// nullopt with `why` naming the first bad item.
std::optional<std::vector<txn_entry>>
parse_institution_answer(std::string_view body, const std::string& account,
                         std::string& why);

/// Returns the URL of an account's transactions since a date (YYYY-MM-DD).
std::string transactions_url(std::string_view account_url,
                             std::string_view since_date);

} // namespace troupe::mint
