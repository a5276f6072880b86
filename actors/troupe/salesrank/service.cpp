#include "troupe/salesrank/service.hpp"

#include <chrono>

#include "troupe/runtime/shard_map.hpp"
#include "troupe/salesrank/messages.hpp"

namespace troupe::salesrank {

namespace {

void export_metrics(runtime::metrics_registry& metrics, board_ptr board) {
  metrics.add_collector([board](runtime::metrics_registry& reg) {
    auto& c = reg.counter("troupe_salesrank_sales_total",
                          "Sales applied by this node's category shards");
    c.inc(board->sales.load() - c.value());
    reg.gauge("troupe_salesrank_pairs",
              "(category, product) pairs with sales in the window held by "
              "this node's category shards")
        .set(static_cast<double>(board->pairs.load()));
  });
}

} // namespace

int64_t system_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

uint16_t shard_of_category(std::string_view category, size_t shards) {
  return runtime::shard_of(category, shards);
}

std::optional<std::string> key_of(const caf::message& msg) {
  if (msg.size() >= 2 && msg.match_element<popular_atom>(0) &&
      msg.match_element<std::string>(1))
    return msg.get_as<std::string>(1);
  return std::nullopt;
}

caf::actor service::shard_or_region(uint16_t idx) const {
  auto local = status ? status->shard_at(idx) : caf::actor{};
  return local ? local : region;
}

caf::actor service::route(std::string_view category) const {
  return status ? status->route(category, region) : region;
}

service start(runtime::node& n, clock_fn now) {
  const auto& cfg = n.config().salesrank;
  auto board = std::make_shared<salesrank_board>();
  runtime::region_spec spec;
  spec.service = "salesrank";
  spec.shards = cfg.shards;
  spec.key_of = key_of;
  spec.is_write = [](const caf::message& msg) {
    return msg.size() > 0 && msg.match_element<ingest_atom>(0);
  };
  spec.shard = [board, now](caf::event_based_actor* self,
                            runtime::shard_context ctx) {
    return shard_actor(self, std::move(ctx), board, now);
  };
  service result;
  result.region = n.start_region(std::move(spec));
  result.status = n.regions().back();
  result.settings = cfg;
  result.now = now;
  result.board = board;
  export_metrics(n.metrics(), std::move(board));
  return result;
}

} // namespace troupe::salesrank
