#pragma once

// The `GET /api/v1/stats` answer the status tests read (three nodes, one
// down): tests/unit/app/fixtures/stats_cluster.json.

#include <fstream>
#include <sstream>
#include <string>

inline std::string fixture_text() {
  std::ifstream in{std::string{TROUPE_SOURCE_DIR} +
                   "/tests/unit/app/fixtures/stats_cluster.json"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
