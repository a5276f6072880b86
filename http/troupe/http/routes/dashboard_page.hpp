#pragma once

/// The operator dashboard served at `GET /`: one self-contained page that
/// polls `/api/v1/cluster` and `/metrics` every two seconds and shows the
/// nodes, the shard map and request rates. No external assets.
namespace troupe::http::routes {

extern const char* const dashboard_html;

} // namespace troupe::http::routes
