#pragma once

#include <optional>
#include <string>

#include "troupe/config/config.hpp"

namespace troupe::app {

/// Options of `troupe run`.
struct run_options {
  std::optional<std::string> config_file;
  config::overrides flags;
};

/// Runs a node in the foreground until SIGINT or SIGTERM; returns the exit
/// code. SIGINT and SIGTERM must be blocked in every thread before the call.
int run_node(const run_options& opts);

} // namespace troupe::app
