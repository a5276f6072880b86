// Starts and stops a troupe node from a config object, as a program that
// embeds the runtime does; proves the installed package links and runs.
#include <iostream>

#include "troupe/config/config.hpp"
#include "troupe/runtime/node.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer DATA_DIR\n";
    return 2;
  }
  auto cfg = troupe::config::default_config();
  cfg.nodes.front().data_dir = argv[1];
  cfg.persistence.map_size_mb = 64;
  troupe::runtime::node node{cfg};
  if (auto err = node.start(); !err.empty()) {
    std::cerr << "consumer: " << err << '\n';
    return 1;
  }
  bool ready = node.ready();
  node.stop();
  std::cout << "consumer: node started (ready=" << ready << ") and stopped\n";
  return ready ? 0 : 1;
}
