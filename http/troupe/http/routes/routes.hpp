#pragma once

#include "troupe/cache/service.hpp"
#include "troupe/crawler/service.hpp"
#include "troupe/http/router.hpp"
#include "troupe/mint/service.hpp"
#include "troupe/pastebin/service.hpp"
#include "troupe/runtime/node.hpp"
#include "troupe/salesrank/service.hpp"
#include "troupe/social/service.hpp"
#include "troupe/twitter/service.hpp"

/// The node's endpoints, grouped by service. Each `add_*` registers its
/// routes on `r` in one visible table.
namespace troupe::http::routes {

/// `/` (the operator dashboard), `/healthz`, `/readyz`, `/metrics`,
/// `/api/v1/cluster`, and, when
/// `runtime.fault_injection` is on, `POST /admin/v1/fault/crash`.
void add_operations(router& r, runtime::node& n);

/// Everything under "Pastebin and short links" in the API contract.
void add_pastebin(router& r, const pastebin::service& svc,
                  const config::node_config& cfg);

/// Everything under "Key-value query cache" in the API contract.
void add_cache(router& r, const cache::service& svc,
               const config::node_config& cfg);

/// Everything under "Twitter timeline and search" in the API contract.
void add_twitter(router& r, const twitter::service& svc);

/// Everything under "Social graph" in the API contract.
void add_social(router& r, const social::service& svc);

/// Everything under "Sales rank" in the API contract.
void add_salesrank(router& r, const salesrank::service& svc);

/// Mint under /mint/api/v1 (linked accounts, transactions, budgets).
void add_mint(router& r, const mint::service& svc);

/// The crawler under /crawler/api/v1 (seeds, status) and search under
/// /search/api/v1.
void add_crawler(router& r, const crawler::service& svc);

} // namespace troupe::http::routes
