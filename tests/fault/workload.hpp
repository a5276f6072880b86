// The paste workload of the partition lab and its checker.
//
// Writers (load_loop.hpp) create pastes with unique contents through every
// node and remember each acknowledged one (2xx with a shortlink). After the
// heal, read_back_pastes() reads every acknowledged paste through every
// node: each must answer 200 with its contents everywhere. What does not
// is read again a few times (a node may serve a stale copy for a moment
// after a heal, docs/design.md "Failover"); what still does not is lost
// (404 on every node) or diverged (anything else).
#pragma once

#include <string>
#include <vector>

#include "load_loop.hpp"

namespace troupe_fault {

/// One acknowledged paste.
struct acked_paste {
  std::string shortlink;
  std::string contents;
  size_t node = 0; ///< the node that acknowledged it
  phase when = phase::before;
};

/// Writers creating pastes through every node.
class paste_workload {
public:
  /// `tag` goes into every paste's contents (the test's name).
  paste_workload(std::vector<endpoint> nodes, std::string tag,
                 load_options opt = {});

  void start() { loop_.start(); }
  void set_phase(phase p) { loop_.set_phase(p); }
  void stop() { loop_.stop(); }
  const load_loop& loop() const { return loop_; }
  /// Every acknowledged paste (call after stop()).
  std::vector<acked_paste> acked() const;

private:
  bool create(troupe_e2e::connection& c, size_t writer, size_t seq);

  std::string tag_;
  std::vector<std::vector<acked_paste>> acked_; // per writer
  load_loop loop_;
};

/// How the read-back goes: bounded rounds of re-reads.
struct read_back_options {
  /// Rounds of reads of what was not yet read back intact, ...
  size_t rounds = 4;
  /// ... this far apart.
  millis pause{1000};
  /// One read's timeout, and the whole read-back's.
  millis timeout{5000};
  millis budget{30000};
};

/// What the read-back found.
struct read_back_result {
  size_t checked = 0;
  /// 404 on every node in the last round.
  size_t lost = 0;
  /// Not lost, not intact everywhere in the last round.
  size_t diverged = 0;
  /// Not intact in the first round, intact in a later one.
  size_t stale = 0;
  /// A few of the lost and diverged, one line each.
  std::vector<std::string> samples;
};

/// Reads every paste back through every node.
read_back_result read_back_pastes(const std::vector<endpoint>& nodes,
                                  const std::vector<acked_paste>& pastes,
                                  read_back_options opt = {});

} // namespace troupe_fault
