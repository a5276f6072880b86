#include "troupe/http/routes/social_import.hpp"

#include <chrono>
#include <memory>

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/log.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/social/edge_list.hpp"
#include "troupe/social/messages.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::social;
using clock_type = std::chrono::steady_clock;

/// Bytes asked for per read of the body.
constexpr size_t piece_bytes = 1 << 20;
/// Progress is logged this often.
constexpr auto progress_every = std::chrono::seconds(5);
/// Rejected lines listed in the answer (all are counted).
constexpr size_t max_listed_rejections = 1000;

class import_job : public std::enable_shared_from_this<import_job> {
public:
  import_job(request_context& ctx, const social::service& svc)
      : ctx_(ctx.shared()),
        svc_(svc),
        parser_(max_listed_rejections),
        batch_pairs_(2 * svc.settings.import_batch_edges) {
    // nop
  }

  /// Decides what to do next after any event.
  void advance() {
    if (ctx_->responded())
      return;
    if (!in_flight_ && (full() || (body_done_ && !batch_.empty())))
      send_batch();
    if (error_) {
      if (!in_flight_)
        respond_error();
      return;
    }
    if (body_done_) {
      if (!in_flight_ && batch_.empty())
        respond_ok();
      return;
    }
    if (!reading_ && !full())
      read();
  }

private:
  bool full() const { return batch_.size() >= batch_pairs_; }

  void read() {
    reading_ = true;
    ctx_->read_body(piece_bytes, [self = shared_from_this()](
                                     std::string data, body_chunk state) {
      self->on_piece(std::move(data), state);
    });
  }

  void on_piece(std::string data, body_chunk state) {
    reading_ = false;
    switch (state) {
      case body_chunk::failed:
        return; // the client is gone: nothing to answer
      case body_chunk::too_large:
        error_ = runtime::make_error(
            runtime::errc::payload_too_large,
            "import body larger than social.max_import_bytes (" +
                std::to_string(svc_.settings.max_import_bytes) + " bytes)");
        break;
      case body_chunk::more:
        parser_.feed(data, batch_);
        break;
      case body_chunk::last:
        parser_.feed(data, batch_);
        parser_.finish(batch_);
        body_done_ = true;
        break;
    }
    advance();
  }

  void send_batch() {
    in_flight_ = true;
    auto pairs = std::move(batch_);
    batch_.clear();
    batch_.reserve(std::min(batch_pairs_, size_t{1} << 20));
    auto edges = pairs.size() / 2;
    ctx_->request(svc_.importer,
                  caf::make_message(batch_atom::value, std::move(pairs)),
                  [self = shared_from_this(),
                   edges](caf::expected<caf::message> r) {
                    self->on_stored(std::move(r), edges);
                  });
  }

  void on_stored(caf::expected<caf::message> r, uint64_t edges) {
    in_flight_ = false;
    if (!r) {
      error_ = std::move(r.error());
    } else if (r->match_elements<uint64_t, uint64_t>()) {
      stored_ += edges;
      people_ += r->get_as<uint64_t>(1);
      log_progress();
    } else {
      error_ = runtime::make_error(runtime::errc::internal,
                                   "unexpected reply of the importer");
    }
    advance();
  }

  void log_progress() {
    auto now = clock_type::now();
    if (now - last_log_ < progress_every)
      return;
    last_log_ = now;
    log::info("social", "import from ", ctx_->client_address(), ": ", stored_,
              " friendships stored, ", rate(now), " per second, ",
              ctx_->body_bytes_read(), " bytes read");
  }

  uint64_t rate(clock_type::time_point now) const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  now - started_)
                  .count();
    return ms > 0 ? stored_ * 1000 / static_cast<uint64_t>(ms) : stored_;
  }

  void respond_ok() {
    auto rejected = nlohmann::json::array();
    for (const auto& x : parser_.rejected())
      rejected.push_back({{"line", x.line}, {"reason", x.reason}});
    auto now = clock_type::now();
    if (now - started_ >= progress_every)
      log::info("social", "import from ", ctx_->client_address(), " done: ",
                stored_, " friendships in ", parser_.lines(), " lines, ",
                rate(now), " per second");
    ctx_->respond_json(200, {{"edges", parser_.accepted()},
                             {"people_created", people_},
                             {"rejected", std::move(rejected)},
                             {"rejected_count", parser_.rejected_count()}});
  }

  void respond_error() {
    auto code = static_cast<runtime::errc>(error_.code());
    auto msg = runtime::error_message(error_);
    if (msg.empty())
      msg = "import failed";
    msg += "; " + std::to_string(stored_) +
           " friendships of the body were stored before";
    log::warning("social", "import from ", ctx_->client_address(), ": ", msg);
    if (error_.category() == runtime::error_category)
      ctx_->respond_error(runtime::make_error(code, std::move(msg)));
    else
      ctx_->respond_error(error_);
  }

  std::shared_ptr<request_context> ctx_;
  const social::service& svc_;
  edge_list_parser parser_;
  size_t batch_pairs_;
  std::vector<person_id> batch_;
  bool reading_ = false;
  bool in_flight_ = false;
  bool body_done_ = false;
  caf::error error_;
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
