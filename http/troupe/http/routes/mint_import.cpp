#include "troupe/http/routes/mint_import.hpp"

#include <memory>
#include <vector>

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "troupe/http/routes/shard_message.hpp"
#include "troupe/http/routes/streamed_import.hpp"
#include "troupe/line_splitter.hpp"
#include "troupe/mint/messages.hpp"
#include "troupe/mint/records.hpp"
#include "troupe/mint/txn_line.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/shard_map.hpp"

namespace troupe::http::routes {

namespace {

using namespace troupe::mint;

/// Rejected lines listed in the answer (all are counted).
constexpr size_t max_listed = 1000;

class import_job : public streamed_import {
public:
  import_job(request_context& ctx, const mint::service& svc)
      : streamed_import(ctx), svc_(svc), lines_(max_line_bytes),
        batches_(svc.settings.shards) {
    // nop
  }

private:
  void parse(std::string_view piece, bool last) override {
    auto on_line = [this](uint64_t n, std::string_view line, bool overlong) {
      this->on_line(n, line, overlong);
    };
    lines_.feed(piece, on_line);
    if (last)
      lines_.finish(on_line);
  }

  void on_line(uint64_t n, std::string_view line, bool overlong) {
    if (overlong)
      return reject(n, line_error::line_too_long);
    if (line.empty() || line[0] == '#' ||
        (n == 1 && line.substr(0, 8) == "user_id\t"))
      return; // blank, comment, or the header line
    txn_fields f;
    auto err = parse_txn_line(line, f);
    if (err != line_error::none)
      return reject(n, err);
    auto idx = runtime::shard_of(f.user, batches_.size());
    batches_[idx].txns.push_back({std::string{f.user},
                                  f.created_at,
                                  std::string{f.seller},
                                  f.cents,
                                  {},
                                  {}});
    ++pending_;
    ++accepted_;
  }

  void reject(uint64_t n, line_error why) {
    ++rejected_count_;
    if (rejected_.size() < max_listed)
      rejected_.push_back({{"line", n}, {"reason", to_string(why)}});
  }

  bool full() const override {
    return pending_ >= svc_.settings.import_batch_lines;
  }

  bool pending() const override { return pending_ > 0; }

  /// Sends one message per user shard with transactions in the round.
  void send(done_fn done) override {
    auto count = pending_;
    pending_ = 0;
    std::vector<std::pair<caf::actor, caf::message>> parts;
    for (size_t i = 0; i < batches_.size(); ++i)
      if (!batches_[i].txns.empty()) {
        parts.push_back(
            shard_message(svc_, static_cast<uint16_t>(i),
                          caf::make_message(import_atom::value,
                                            persistence::encode(batches_[i]))));
        batches_[i].txns.clear();
      }
    send_round(
        std::move(parts), [this, count] { stored_ += count; }, std::move(done));
  }

  void respond_ok() override {
    ctx().respond_json(200, {{"imported", accepted_},
                             {"rejected", std::move(rejected_)},
                             {"rejected_count", rejected_count_}});
  }

  std::string limit_text() const override {
    return "mint.max_import_bytes (" +
           std::to_string(svc_.settings.max_import_bytes) + " bytes)";
  }

  std::string stored_text() const override {
    return std::to_string(stored_) + " transactions of the body were stored";
  }

  const mint::service& svc_;
  line_splitter lines_;
  std::vector<txn_batch> batches_;
  size_t pending_ = 0;
  uint64_t accepted_ = 0;
  uint64_t stored_ = 0;
  uint64_t rejected_count_ = 0;
  nlohmann::json rejected_ = nlohmann::json::array();
};

} // namespace

void start_mint_import(request_context& ctx, const mint::service& svc) {
  std::make_shared<import_job>(ctx, svc)->advance();
}

} // namespace troupe::http::routes
