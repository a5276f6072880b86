#include "load_loop.hpp"

#include <memory>

namespace troupe_fault {

using clock_type = std::chrono::steady_clock;

const char* to_string(phase p) {
  switch (p) {
  case phase::before:
    return "before";
  case phase::during:
    return "during";
  case phase::after:
    return "after";
  }
  return "?";
}

load_loop::load_loop(std::vector<endpoint> nodes, load_options opt,
                     step_fn step)
    : nodes_(std::move(nodes)), opt_(opt), step_(std::move(step)) {
  // nop
}

load_loop::~load_loop() {
  stop();
}

void load_loop::start() {
  for (size_t w = 0; w < writers(); ++w)
    threads_.emplace_back([this, w] { run(w); });
}

void load_loop::stop() {
  stop_ = true;
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

phase_counts load_loop::acked() const {
  phase_counts out;
  for (size_t i = 0; i < phase_count; ++i)
    out[i] = acked_[i];
  return out;
}

phase_counts load_loop::unacked() const {
  phase_counts out;
  for (size_t i = 0; i < phase_count; ++i)
    out[i] = unacked_[i];
  return out;
}

void load_loop::run(size_t writer) {
  const auto& to = nodes_[node_of(writer)];
  auto deadline = clock_type::now() + opt_.max_duration;
  std::unique_ptr<troupe_e2e::connection> conn;
  auto next = clock_type::now();
  for (size_t seq = 0; seq < opt_.max_requests_per_writer; ++seq) {
    std::this_thread::sleep_until(next);
    if (stop_ || clock_type::now() >= deadline)
      break;
    next = clock_type::now() + opt_.min_interval;
    if (!conn || !conn->is_open()) {
      try {
        conn = std::make_unique<troupe_e2e::connection>(
            to.port, opt_.client_timeout, to.host);
      } catch (const troupe_e2e::io_error&) {
        ++connect_failures_;
        std::this_thread::sleep_for(opt_.pause_after_failure);
        continue;
      }
    }
    bool ok = step_(*conn, writer, seq);
    // The phase when the answer came: an acknowledgement during the fault
    // counts as "during" even if its request was sent before.
    auto ph = static_cast<size_t>(phase_.load());
    ++(ok ? acked_ : unacked_)[ph];
    if (!ok)
      std::this_thread::sleep_for(opt_.pause_after_failure);
  }
}

} // namespace troupe_fault
