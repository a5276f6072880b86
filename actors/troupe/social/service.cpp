#include "troupe/social/service.hpp"

#include <charconv>
#include <chrono>

#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_map.hpp"
#include "troupe/social/importer.hpp"
#include "troupe/social/search.hpp"

namespace troupe::social {

namespace {

void export_metrics(runtime::metrics_registry& metrics, board_ptr board,
                    std::shared_ptr<search_board> searches) {
  metrics.add_collector([board, searches](runtime::metrics_registry& reg) {
    auto count = [&reg](const char* name, const char* help, uint64_t x) {
      auto& c = reg.counter(name, help);
      c.inc(x - c.value());
    };
    auto set = [&reg](const char* name, const char* help, int64_t x) {
      reg.gauge(name, help).set(static_cast<double>(x));
    };
    set("troupe_social_people", "People held by this node's person servers",
        board->people.load());
    set("troupe_social_friendship_halves",
        "Friendship halves held by this node's person servers (two per "
        "friendship)",
        board->halves.load());
    count("troupe_social_searches_total",
          "Friend searches run by this node's search actors",
          searches->searches.load());
    count("troupe_social_search_messages_total",
          "Messages this node's search actors sent to person servers",
          searches->messages.load());
  });
}

template <class Atom>
bool keyed_by(const caf::message& msg) {
  return msg.match_element<Atom>(0) && msg.match_element<person_id>(1);
}

} // namespace

std::string key_of_person(person_id id) {
  char buf[16];
  auto res = std::to_chars(buf, buf + sizeof(buf), id);
  return std::string(buf, res.ptr);
}

uint16_t shard_of_person(person_id id, size_t shards) {
  char buf[16];
  auto res = std::to_chars(buf, buf + sizeof(buf), id);
  return runtime::shard_of(std::string_view(buf, res.ptr - buf), shards);
}

std::optional<std::string> key_of(const caf::message& msg) {
  if (msg.size() < 2)
    return std::nullopt;
  if (keyed_by<person_atom>(msg) || keyed_by<get_atom>(msg) ||
      keyed_by<link_atom>(msg) || keyed_by<unlink_atom>(msg))
    return key_of_person(msg.get_as<person_id>(1));
  return std::nullopt;
}

caf::actor service::route(person_id id) const {
  auto key = key_of_person(id);
  return status ? status->route(key, region) : region;
}

caf::actor service::spawn_search() const {
  return system->spawn(search_actor,
                       search_env{region, status, settings.shards,
                                  settings.search_timeout,
                                  settings.search_max_visited, searches});
}

service start(runtime::node& n) {
  const auto& cfg = n.config().social;
  auto board = std::make_shared<social_board>();
  runtime::region_spec spec;
  spec.service = "social";
  spec.shards = cfg.shards;
  spec.key_of = key_of;
  spec.is_write = [](const caf::message& msg) {
    return msg.size() > 0 && (msg.match_element<person_atom>(0) ||
                              msg.match_element<link_atom>(0) ||
                              msg.match_element<unlink_atom>(0) ||
                              msg.match_element<import_atom>(0) ||
                              msg.match_element<people_atom>(0));
  };
  spec.shard = [board](caf::event_based_actor* self,
                       runtime::shard_context ctx) {
    return shard_actor(self, std::move(ctx), board);
  };
  service result;
  result.region = n.start_region(std::move(spec));
  result.status = n.regions().back();
  result.system = &n.system();
  result.settings = cfg;
  result.board = board;
  result.searches = std::make_shared<search_board>();
  result.importer =
      spawn_importer(n.system(), result.region, result.status, cfg.shards);
  n.manage(result.importer);
  export_metrics(n.metrics(), std::move(board), result.searches);
  return result;
}

} // namespace troupe::social
