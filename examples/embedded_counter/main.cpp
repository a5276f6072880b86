// A plain program that embeds troupe: it starts a node on a data dir,
// declares a persistent counter entity, increments the counters named on
// the command line and prints their values. Run it twice on the same data
// dir: the values go on from where they were.
//
//   embedded_counter DATA_DIR [KEY...]        (default key: "visits")
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "troupe/config/config.hpp"
#include "troupe/log.hpp"
#include "troupe/runtime/entity.hpp"
#include "troupe/runtime/node.hpp"

namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

/// The state of one counter, stored msgpack-encoded.
struct counter {
  int64_t value = 0;
  MSGPACK_DEFINE_MAP(value)
};

troupe::runtime::entity_type<counter> counters() {
  return troupe::runtime::entity_type<counter>{"counter"}
      .on([](counter& c, add_atom, int64_t by) { return c.value += by; })
      .on([](const counter& c, get_atom) { return c.value; })
      .passivate_after(std::chrono::seconds(30));
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: embedded_counter DATA_DIR [KEY...]\n";
    return 2;
  }
  std::vector<std::string> keys(argv + 2, argv + argc);
  if (keys.empty())
    keys.emplace_back("visits");
  // A single node from a config object (config::load reads a TOML file).
  auto cfg = troupe::config::default_config();
  cfg.nodes.front().data_dir = argv[1];
  cfg.persistence.map_size_mb = 64;
  cfg.log_level = "warning";
  troupe::log::level lvl = troupe::log::level::warning;
  troupe::log::parse_level(cfg.log_level, lvl);
  troupe::log::set_level(lvl);
  troupe::runtime::node node{cfg};
  if (auto err = node.start(); !err.empty()) {
    std::cerr << "embedded_counter: " << err << '\n';
    return 1;
  }
  auto ref = troupe::runtime::declare(node, counters());
  int rc = 0;
  for (const auto& key : keys) {
    auto value = troupe::runtime::ask<int64_t>(node, ref, key, add_atom::value,
                                               int64_t{1});
    if (!value) {
      std::cerr << key << ": " << node.system().render(value.error()) << '\n';
      rc = 1;
      continue;
    }
    std::cout << key << '=' << *value << '\n';
  }
  node.stop(); // flushes: every acknowledged increment is on disk
  return rc;
}
