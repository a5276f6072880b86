// Reading Twitter API responses in tests (e2e and cluster): fields of
// tweets and lists of tweets, tolerant of malformed bodies so that a wrong
// answer fails an assertion instead of throwing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe_e2e::twitter {

using json = nlohmann::json;

/// The string `field` of an object, or "" when it has no such string.
inline std::string str(const json& j, const std::string& field) {
  return j.is_object() && j.contains(field) && j[field].is_string()
             ? j[field].get<std::string>()
             : std::string{};
}

/// The `tweet_id` of a tweet ("?" when it has none).
inline std::string id_of(const json& t) {
  auto id = str(t, "tweet_id");
  return id.empty() ? "?" : id;
}

/// The `tweet_id`s of a list, in order.
inline std::vector<std::string> ids_of(const json& list) {
  std::vector<std::string> out;
  if (list.is_array())
    for (const auto& t : list)
      out.push_back(id_of(t));
  return out;
}

/// A decimal tweet id as a number (0 when it is not one).
inline uint64_t id_value(const std::string& s) {
  bool digits = !s.empty() && s.size() <= 19 &&
                std::all_of(s.begin(), s.end(),
                            [](char ch) { return ch >= '0' && ch <= '9'; });
  return digits ? std::stoull(s) : 0;
}

/// The ids of `tweets`, newest (largest) first.
inline std::vector<std::string> newest_first(const std::vector<json>& tweets) {
  auto ids = ids_of(json(tweets));
  std::sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) {
    return id_value(a) > id_value(b);
  });
  return ids;
}

} // namespace troupe_e2e::twitter
