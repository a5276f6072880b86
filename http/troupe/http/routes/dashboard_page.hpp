#pragma once

#include <optional>
#include <string_view>
#include <utility>

/// The operator dashboard: `GET /` serves index.html, which loads
/// dashboard.js and dashboard.css and polls `/api/v1/stats` every second.
/// The files live in troupe/http/dashboard/ and are compiled into the
/// library at build time (http/embed_files.cmake); the page needs no
/// external assets.
namespace troupe::http::routes {

/// Returns the body and the content type of the dashboard file `name`
/// ("index.html", "dashboard.js" or "dashboard.css"), or nothing if there is
/// no such file.
std::optional<std::pair<std::string_view, const char*>>
dashboard_asset(std::string_view name);

} // namespace troupe::http::routes
