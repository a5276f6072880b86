#include "troupe/salesrank/render.hpp"

#include <algorithm>

namespace troupe::salesrank {

std::string render_ranking(const std::string& category,
                           const std::vector<rank_row>& rows, uint32_t limit) {
  auto n = std::min<size_t>(limit, rows.size());
  std::string out;
  out.reserve(2 + n * (64 + category.size()));
  out += '[';
  for (size_t i = 0; i < n; ++i) {
    if (i > 0)
      out += ',';
    out += "{\"id\":";
    out += std::to_string(i + 1);
    out += ",\"category_id\":\"";
    out += category;
    out += "\",\"total_sold\":";
    out += std::to_string(rows[i].total);
    out += ",\"product_id\":\"";
    out += rows[i].product;
    out += "\"}";
  }
  out += ']';
  return out;
}

} // namespace troupe::salesrank
