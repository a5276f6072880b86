// troupe: the node binary. `troupe run` starts a node in the foreground;
// `troupe status` prints a running cluster's summary.

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "run_command.hpp"
#include "status_command.hpp"

namespace {

/// Blocks SIGINT and SIGTERM before any thread starts, so that every thread
/// inherits the mask and only `sigwait` in the main thread receives them.
void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void add_run_options(CLI::App& run, troupe::app::run_options& opts) {
  auto& f = opts.flags;
  run.add_option("--config", opts.config_file,
                 "TOML config file; without it the embedded single-node "
                 "default runs (see cluster-config/single.toml)");
  run.add_option("--node", f.node,
                 "Name of this node in the config's [[nodes]] (overrides "
                 "'self')");
  run.add_option("--http", f.http,
                 "HTTP listen endpoint HOST:PORT (default 127.0.0.1:8080)");
  run.add_option("--data-dir", f.data_dir,
                 "Directory of the node's LMDB data (default ./data)");
  run.add_option("--log-level", f.log_level,
                 "debug, info, warning, error or off (default info)");
}

void add_status_options(CLI::App& status, troupe::app::status_options& opts,
                        bool& no_color) {
  status.add_option("--http", opts.http,
                    "HTTP endpoint HOST:PORT of any node of the cluster "
                    "(default 127.0.0.1:8080)");
  status.add_flag("--json", opts.json,
                  "Print the raw JSON of GET /api/v1/stats instead");
  status.add_flag("--no-color", no_color,
                  "No colors (also when NO_COLOR is set or stdout is not a "
                  "terminal)");
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"troupe: an actor-model, in-memory cluster runtime. Runs "
               "services as sharded, persistent, supervised actors behind "
               "an HTTP edge.",
               "troupe"};
  app.set_version_flag("--version", "troupe 0.1.0");
  app.require_subcommand(1);
  troupe::app::run_options opts;
  auto* run = app.add_subcommand(
      "run", "Run a node in the foreground until SIGINT/SIGTERM; flags "
             "override the config file");
  add_run_options(*run, opts);
  troupe::app::status_options status_opts;
  bool no_color = false;
  auto* status = app.add_subcommand(
      "status", "Print the cluster summary (nodes, shards, busiest routes, "
                "latest events) as seen by one node");
  add_status_options(*status, status_opts, no_color);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One clear line instead of CLI11's usage dump.
    std::cerr << "troupe: " << e.what() << " (see troupe --help)\n";
    return 2;
  }
  if (status->parsed()) {
    status_opts.color =
        !no_color && !std::getenv("NO_COLOR") && isatty(STDOUT_FILENO) == 1;
    return troupe::app::run_status(status_opts, std::cout, std::cerr);
  }
  // Only `run` waits for the signals (`status` stays interruptible); no
  // thread has started yet.
  block_stop_signals();
  return troupe::app::run_node(opts);
}
