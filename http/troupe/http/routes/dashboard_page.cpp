#include "troupe/http/routes/dashboard_page.hpp"

#include <cstddef>

namespace troupe::http::routes {

// Defined in the generated dashboard_assets.cpp (see http/CMakeLists.txt).
extern const char* const dashboard_files_names[];
extern const unsigned char* const dashboard_files_data[];
extern const std::size_t dashboard_files_sizes[];
extern const std::size_t dashboard_files_count;

namespace {

const char* content_type_of(std::string_view name) {
  auto ends_with = [name](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends_with(".html"))
    return "text/html; charset=utf-8";
  if (ends_with(".js"))
    return "text/javascript; charset=utf-8";
  if (ends_with(".css"))
    return "text/css; charset=utf-8";
  return "application/octet-stream";
}

} // namespace

std::optional<std::pair<std::string_view, const char*>>
dashboard_asset(std::string_view name) {
  for (std::size_t i = 0; i < dashboard_files_count; ++i)
    if (name == dashboard_files_names[i]) {
      const auto* bytes =
          reinterpret_cast<const char*>(dashboard_files_data[i]);
      return std::pair{std::string_view{bytes, dashboard_files_sizes[i]},
                       content_type_of(name)};
    }
  return std::nullopt;
}

} // namespace troupe::http::routes
