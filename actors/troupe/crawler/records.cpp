#include "troupe/crawler/records.hpp"

#include <algorithm>

namespace troupe::crawler {

bool crawl_limits::allows(const std::string& authority) const {
  return any_host || std::find(allowed_hosts.begin(), allowed_hosts.end(),
                               authority) != allowed_hosts.end();
}

void shard_report::add(const shard_report& x) {
  queued += x.queued;
  in_flight += x.in_flight;
  crawled += x.crawled;
  failed += x.failed;
  duplicates += x.duplicates;
  skipped_robots += x.skipped_robots;
  skipped_limit += x.skipped_limit;
  hosts += x.hosts;
  pages_per_second += x.pages_per_second;
  for (const auto& [reason, n] : x.failed_by_reason)
    failed_by_reason[reason] += n;
}

} // namespace troupe::crawler
