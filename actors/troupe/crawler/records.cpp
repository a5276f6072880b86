#include "troupe/crawler/records.hpp"

#include <algorithm>

namespace troupe::crawler {

bool crawl_limits::allows(const std::string& authority) const {
  return any_host || std::find(allowed_hosts.begin(), allowed_hosts.end(),
                               authority) != allowed_hosts.end();
}

} // namespace troupe::crawler
