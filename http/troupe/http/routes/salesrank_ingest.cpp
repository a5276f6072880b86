#include "troupe/http/routes/salesrank_ingest.hpp"

#include <memory>
#include <vector>

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/routes/shard_message.hpp"
#include "troupe/http/routes/streamed_import.hpp"
#include "troupe/line_splitter.hpp"
#include "troupe/salesrank/messages.hpp"
#include "troupe/salesrank/sale_batch.hpp"
#include "troupe/salesrank/sale_line.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::salesrank;

/// Longest accepted line.
constexpr size_t max_line_bytes = 512;
/// Rejected lines listed in the answer (all are counted).
constexpr size_t max_listed = 1000;

class ingest_job : public streamed_import {
public:
  ingest_job(request_context& ctx, const salesrank::service& svc)
      : streamed_import(ctx), svc_(svc), lines_(max_line_bytes),
        batches_(svc.settings.shards) {
    // nop
  }

private:
  void parse(std::string_view piece, bool last) override {
    now_ = svc_.now();
    auto on_line = [this](uint64_t n, std::string_view line, bool overlong) {
      this->on_line(n, line, overlong);
    };
    lines_.feed(piece, on_line);
    if (last)
      lines_.finish(on_line);
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

  bool full() const override {
    return pending_ >= svc_.settings.ingest_batch_lines;
  }

  bool pending() const override { return pending_ > 0; }

  /// Sends one message per category shard with sales in the round.
  void send(done_fn done) override {
    auto sales = pending_;
    pending_ = 0;
    std::vector<std::pair<caf::actor, caf::message>> parts;
    for (size_t i = 0; i < batches_.size(); ++i)
      if (!batches_[i].empty())
        parts.push_back(shard_message(
            svc_, static_cast<uint16_t>(i),
            caf::make_message(ingest_atom::value, batches_[i].take())));
    send_round(
        std::move(parts), [this, sales] { stored_ += sales; }, std::move(done));
  }

  void respond_ok() override {
    ctx().respond_json(200, {{"accepted", accepted_},
                             {"rejected", std::move(rejected_)},
                             {"rejected_count", rejected_count_}});
  }

  std::string limit_text() const override {
    return "salesrank.max_ingest_bytes (" +
           std::to_string(svc_.settings.max_ingest_bytes) + " bytes)";
  }

  std::string stored_text() const override {
    return std::to_string(stored_) + " sales of the body were stored";
  }

  const salesrank::service& svc_;
  line_splitter lines_;
  std::vector<sale_batch> batches_;
  int64_t now_ = 0;
  size_t pending_ = 0;
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
