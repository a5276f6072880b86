#include "troupe/http/routes/social_import.hpp"

#include <chrono>
#include <memory>

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/routes/streamed_import.hpp"
#include "troupe/log.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/social/edge_list.hpp"
#include "troupe/social/messages.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::social;
using clock_type = std::chrono::steady_clock;

/// Progress is logged this often.
constexpr auto progress_every = std::chrono::seconds(5);
/// Rejected lines listed in the answer (all are counted).
constexpr size_t max_listed_rejections = 1000;

class import_job : public streamed_import {
public:
  import_job(request_context& ctx, const social::service& svc)
      : streamed_import(ctx), svc_(svc), parser_(max_listed_rejections),
        batch_pairs_(2 * svc.settings.import_batch_edges) {
    // nop
  }

private:
  void parse(std::string_view piece, bool last) override {
    parser_.feed(piece, batch_);
    if (last)
      parser_.finish(batch_);
  }

  bool full() const override { return batch_.size() >= batch_pairs_; }

  bool pending() const override { return !batch_.empty(); }

  void send(done_fn done) override {
    auto pairs = std::move(batch_);
    batch_.clear();
    auto edges = pairs.size() / 2;
    ctx().request(
        svc_.importer, caf::make_message(batch_atom::value, std::move(pairs)),
        [this, done = std::move(done), edges](caf::expected<caf::message> r) {
          if (!r)
            return done(std::move(r.error()));
          if (!r->match_elements<uint64_t, uint64_t>())
            return done(runtime::make_error(
                runtime::errc::internal, "unexpected reply of the importer"));
          stored_ += edges;
          people_ += r->get_as<uint64_t>(1);
          log_progress();
          done({});
        });
  }

  void log_progress() {
    auto now = clock_type::now();
    if (now - last_log_ < progress_every)
      return;
    last_log_ = now;
    log::info("social", "import from ", ctx().client_address(), ": ", stored_,
              " friendships stored, ", rate(now), " per second, ",
              ctx().body_bytes_read(), " bytes read");
  }

  uint64_t rate(clock_type::time_point now) const {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - started_)
            .count();
    return ms > 0 ? stored_ * 1000 / static_cast<uint64_t>(ms) : stored_;
  }

  void respond_ok() override {
    auto rejected = nlohmann::json::array();
    for (const auto& x : parser_.rejected())
      rejected.push_back({{"line", x.line}, {"reason", x.reason}});
    auto now = clock_type::now();
    if (now - started_ >= progress_every)
      log::info("social", "import from ", ctx().client_address(),
                " done: ", stored_, " friendships in ", parser_.lines(),
                " lines, ", rate(now), " per second");
    ctx().respond_json(200, {{"edges", parser_.accepted()},
                             {"people_created", people_},
                             {"rejected", std::move(rejected)},
                             {"rejected_count", parser_.rejected_count()}});
  }

  std::string limit_text() const override {
    return "social.max_import_bytes (" +
           std::to_string(svc_.settings.max_import_bytes) + " bytes)";
  }

  std::string stored_text() const override {
    return std::to_string(stored_) + " friendships of the body were stored";
  }

  const social::service& svc_;
  edge_list_parser parser_;
  size_t batch_pairs_;
  std::vector<person_id> batch_;
  uint64_t stored_ = 0;
  uint64_t people_ = 0;
  clock_type::time_point started_ = clock_type::now();
  clock_type::time_point last_log_ = started_;
};

} // namespace

void start_import(request_context& ctx, const social::service& svc) {
  std::make_shared<import_job>(ctx, svc)->advance();
}

} // namespace troupe::http::routes
