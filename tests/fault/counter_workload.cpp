#include "counter_workload.hpp"

#include <thread>

namespace troupe_fault {

namespace {

const std::string increment_path = "/counter/api/v1/increment";
const std::string value_path = "/counter/api/v1/value";

/// The value in a 200 answer of the counter routes, or -1.
long long value_of(const http_response& r) {
  auto body = r.body_json();
  if (r.status != 200 || !body.is_object() ||
      !body["value"].is_number_integer())
    return -1;
  return body["value"].get<long long>();
}

/// Whether the values agree and lie within [acked, acked + unacked].
bool within_bounds(const counter_check& c) {
  for (auto v : c.values)
    if (v != c.values.front() || v < static_cast<long long>(c.acked) ||
        v > static_cast<long long>(c.acked + c.unacked))
      return false;
  return !c.values.empty();
}

} // namespace

counter_workload::counter_workload(std::vector<endpoint> nodes,
                                   std::vector<std::string> keys,
                                   load_options opt)
    : keys_(std::move(keys)), acked_(new std::atomic<size_t>[keys_.size()]()),
      unacked_(new std::atomic<size_t>[keys_.size()]()),
      loop_(std::move(nodes), opt,
            [this](troupe_e2e::connection& c, size_t w, size_t seq) {
              return increment(c, w, seq);
            }) {
  // nop
}

bool counter_workload::increment(troupe_e2e::connection& c, size_t writer,
                                 size_t seq) {
  auto k = (writer + seq) % keys_.size();
  auto r = send(c, "POST", increment_path,
                json{{"key", keys_[k]}, {"by", 1}}.dump());
  bool ok = value_of(r) >= 0;
  ++(ok ? acked_ : unacked_)[k];
  return ok;
}

std::vector<counter_check> check_counters(const std::vector<endpoint>& nodes,
                                          const counter_workload& w,
                                          read_back_options opt) {
  std::vector<counter_check> checks;
  std::vector<std::string> targets;
  for (size_t k = 0; k < w.keys().size(); ++k) {
    checks.push_back({w.keys()[k], w.acked(k), w.unacked(k), {}, false, false});
    targets.push_back(value_path +
                      "?key=" + troupe_e2e::url_encode(w.keys()[k]));
  }
  auto deadline = std::chrono::steady_clock::now() + opt.budget;
  for (size_t round = 0; round < opt.rounds; ++round) {
    if (round > 0)
      std::this_thread::sleep_for(opt.pause);
    auto answers = read_everywhere(nodes, targets, opt.timeout, deadline);
    bool all_ok = true;
    for (size_t k = 0; k < checks.size(); ++k) {
      auto& c = checks[k];
      if (c.ok)
        continue;
      c.values.clear();
      for (const auto& node_answers : answers)
        c.values.push_back(value_of(node_answers[k]));
      c.ok = within_bounds(c);
      c.stale = c.ok && round > 0;
      all_ok = all_ok && c.ok;
    }
    if (all_ok)
      break;
  }
  return checks;
}

std::string to_string(const counter_check& c) {
  std::string line = c.key + ": acked " + std::to_string(c.acked) +
                     ", unacked " + std::to_string(c.unacked) + ", values";
  for (auto v : c.values)
    line += " " + std::to_string(v);
  line += c.ok ? (c.stale ? " ok (after a re-read)" : " ok") : " WRONG";
  return line;
}

} // namespace troupe_fault
