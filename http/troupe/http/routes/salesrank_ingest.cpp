#include "troupe/http/routes/salesrank_ingest.hpp"

#include <memory>
#include <vector>

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/line_splitter.hpp"
#include "troupe/log.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/salesrank/messages.hpp"
#include "troupe/salesrank/sale_batch.hpp"
#include "troupe/salesrank/sale_line.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::salesrank;

/// Bytes asked for per read of the body.
constexpr size_t piece_bytes = 1 << 20;
/// Longest accepted line.
constexpr size_t max_line_bytes = 512;
/// Rejected lines listed in the answer (all are counted).
constexpr size_t max_listed = 1000;

class ingest_job : public std::enable_shared_from_this<ingest_job> {
public:
  ingest_job(request_context& ctx, const salesrank::service& svc)
      : ctx_(ctx.shared()), svc_(svc), lines_(max_line_bytes),
        batches_(svc.settings.shards) {
    // nop
  }

  void advance() {
    if (ctx_->responded())
      return;
    if (!in_flight_ && (full() || (body_done_ && pending_ > 0)))
      send_round();
    if (error_) {
      if (!in_flight_)
        respond_error();
      return;
    }
    if (body_done_) {
      if (!in_flight_ && pending_ == 0)
        respond_ok();
      return;
    }
    if (!reading_ && !full())
      read();
  }

private:
  bool full() const { return pending_ >= svc_.settings.ingest_batch_lines; }

  void read() {
    reading_ = true;
    ctx_->read_body(piece_bytes, [self = shared_from_this()](std::string data,
                                                             body_chunk state) {
      self->on_piece(std::move(data), state);
    });
  }

  void on_piece(std::string data, body_chunk state) {
    reading_ = false;
    auto on_line = [this](uint64_t n, std::string_view line, bool overlong) {
      this->on_line(n, line, overlong);
    };
    now_ = svc_.now();
    switch (state) {
    case body_chunk::failed:
      return; // the client is gone: nothing to answer
    case body_chunk::too_large:
      error_ = runtime::make_error(
          runtime::errc::payload_too_large,
          "sales body larger than salesrank.max_ingest_bytes (" +
              std::to_string(svc_.settings.max_ingest_bytes) + " bytes)");
      break;
    case body_chunk::more:
      lines_.feed(data, on_line);
      break;
    case body_chunk::last:
      lines_.feed(data, on_line);
      lines_.finish(on_line);
      body_done_ = true;
      break;
    }
    advance();
  }

  void on_line(uint64_t n, std::string_view line, bool overlong) {
    if (overlong)
      return reject(n, sale_error::line_too_long);
    if (line.empty() || line[0] == '#' ||
        (n == 1 && line.substr(0, 10) == "timestamp\t"))
      return; // blank, comment, or the header line
    sale_fields f;
    auto err = parse_sale_line(line, now_, f);
    if (err != sale_error::none)
      return reject(n, err);
    auto idx = shard_of_category(f.category, batches_.size());
    batches_[idx].add(static_cast<uint32_t>(f.time / 3600), f.quantity,
                      f.category, f.product);
    ++pending_;
    ++accepted_;
  }

  void reject(uint64_t n, sale_error why) {
    ++rejected_count_;
    if (rejected_.size() < max_listed)
      rejected_.push_back({{"line", n}, {"reason", to_string(why)}});
  }

  void send_round() {
    in_flight_ = true;
    auto round = std::make_shared<size_t>(0);
    auto sales = pending_;
    pending_ = 0;
    std::vector<std::pair<uint16_t, std::string>> parts;
    for (size_t i = 0; i < batches_.size(); ++i)
      if (!batches_[i].empty())
        parts.emplace_back(static_cast<uint16_t>(i), batches_[i].take());
    *round = parts.size();
    for (auto& [idx, bytes] : parts) {
      auto dest = svc_.shard_or_region(idx);
      auto msg = dest == svc_.region
                     ? caf::make_message(runtime::to_shard_atom::value, idx,
                                         caf::make_message(ingest_atom::value,
                                                           std::move(bytes)))
                     : caf::make_message(ingest_atom::value, std::move(bytes));
      ctx_->request(dest, std::move(msg),
                    [self = shared_from_this(), round,
                     sales](caf::expected<caf::message> r) {
                      self->on_stored(std::move(r), round, sales);
                    });
    }
  }

  void on_stored(caf::expected<caf::message> r,
                 const std::shared_ptr<size_t>& round, uint64_t sales) {
    if (!r && !error_)
      error_ = std::move(r.error());
    if (--*round > 0)
      return;
    in_flight_ = false;
    if (!error_)
      stored_ += sales;
    advance();
  }

  void respond_ok() {
    ctx_->respond_json(200, {{"accepted", accepted_},
                             {"rejected", std::move(rejected_)},
                             {"rejected_count", rejected_count_}});
  }

  void respond_error() {
    auto msg = runtime::error_message(error_);
    if (msg.empty())
      msg = "ingest failed";
    msg += "; " + std::to_string(stored_) +
           " sales of the body were stored before";
    log::warning("salesrank", "ingest from ", ctx_->client_address(), ": ",
                 msg);
    if (error_.category() == runtime::error_category)
      ctx_->respond_error(runtime::make_error(
          static_cast<runtime::errc>(error_.code()), std::move(msg)));
    else
      ctx_->respond_error(error_);
  }

  std::shared_ptr<request_context> ctx_;
  const salesrank::service& svc_;
  line_splitter lines_;
  std::vector<sale_batch> batches_;
  int64_t now_ = 0;
  size_t pending_ = 0;
  bool reading_ = false;
  bool in_flight_ = false;
  bool body_done_ = false;
  caf::error error_;
  uint64_t accepted_ = 0;
  uint64_t stored_ = 0;
  uint64_t rejected_count_ = 0;
  nlohmann::json rejected_ = nlohmann::json::array();
};

} // namespace

void start_sales_ingest(request_context& ctx, const salesrank::service& svc) {
  std::make_shared<ingest_job>(ctx, svc)->advance();
}

} // namespace troupe::http::routes
