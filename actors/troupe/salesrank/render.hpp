#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "troupe/salesrank/rank_table.hpp"

namespace troupe::salesrank {

/// Renders the first `limit` rows of a ranking as the API's JSON array
/// `[{"id","category_id","total_sold","product_id"}]`; `id` is the rank
/// (1 = best seller). Ids need no escaping (see `valid_id`).
std::string render_ranking(const std::string& category,
                           const std::vector<rank_row>& rows, uint32_t limit);

} // namespace troupe::salesrank
