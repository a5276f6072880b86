#include "troupe/social/service.hpp"

#include <charconv>
#include <chrono>
#include <functional>
#include <unordered_map>

#include <caf/stateful_actor.hpp>

#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_map.hpp"
#include "troupe/social/search.hpp"

namespace troupe::social {

namespace {

/// How long a person server may take to make one import batch durable.
constexpr auto import_timeout = std::chrono::seconds(30);

struct import_gather {
  explicit import_gather(size_t n) : remaining(n) {
    // nop
  }
  size_t remaining;
  uint64_t new_halves = 0;
  uint64_t new_people = 0;
  caf::response_promise rp;
};

/// Splits flattened friendships into both halves per person server.
std::vector<std::vector<person_id>> split(const std::vector<person_id>& pairs,
                                          size_t shards) {
  std::vector<std::vector<person_id>> parts(shards);
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    auto a = pairs[i];
    auto b = pairs[i + 1];
    auto& pa = parts[shard_of_person(a, shards)];
    pa.push_back(a);
    pa.push_back(b);
    auto& pb = parts[shard_of_person(b, shards)];
    pb.push_back(b);
    pb.push_back(a);
  }
  return parts;
}

/// A batch part a person server refused for now (503, 429): retried after
/// 100 ms, doubling, this many times (about 3 s in all, within the edge's
/// request timeout). Safe: an import stores what is missing only.
constexpr int import_retries = 5;

bool retryable(const caf::error& err) {
  if (err.category() == runtime::error_category) {
    auto code = static_cast<runtime::errc>(err.code());
    return code == runtime::errc::unavailable ||
           code == runtime::errc::overloaded;
  }
  // A person server on a node that just failed, or is failing over.
  return err.category() == caf::atom("system") &&
         err != caf::sec::request_timeout;
}

struct importer_state {
  caf::actor region;
  runtime::region_status_ptr status;
  size_t shards = 0;
  uint64_t next_retry = 0;
  std::unordered_map<uint64_t, std::function<void()>> retries;
};

using importer_actor_t = caf::stateful_actor<importer_state>;

void send_part(importer_actor_t* self, std::shared_ptr<import_gather> acc,
               uint16_t idx, std::shared_ptr<const std::vector<person_id>> part,
               int attempt) {
  auto on_ok = [acc](uint64_t halves, uint64_t people) {
    acc->new_halves += halves;
    acc->new_people += people;
    if (--acc->remaining == 0 && acc->rp.pending())
      acc->rp.deliver(acc->new_halves, acc->new_people);
  };
  auto on_err = [self, acc, idx, part, attempt](caf::error& err) {
    if (!acc->rp.pending())
      return;
    if (attempt >= import_retries || !retryable(err))
      return acc->rp.deliver(std::move(err));
    auto id = ++self->state.next_retry;
    self->state.retries.emplace(id, [self, acc, idx, part, attempt] {
      send_part(self, acc, idx, part, attempt + 1);
    });
    self->delayed_send(self, std::chrono::milliseconds(100 << attempt),
                       retry_atom::value, id);
  };
  auto& st = self->state;
  auto local = st.status ? st.status->shard_at(idx) : caf::actor{};
  if (local)
    self->request(local, import_timeout, import_atom::value, *part)
        .then(on_ok, on_err);
  else
    self->request(st.region, import_timeout, runtime::to_shard_atom::value, idx,
                  caf::make_message(import_atom::value, *part))
        .then(on_ok, on_err);
}

caf::behavior importer_actor(importer_actor_t* self, caf::actor region,
                             runtime::region_status_ptr status, size_t shards) {
  self->state.region = std::move(region);
  self->state.status = std::move(status);
  self->state.shards = shards;
  return {
      [self](batch_atom,
             const std::vector<person_id>& pairs) -> caf::result<caf::message> {
        auto parts = split(pairs, self->state.shards);
        size_t used = 0;
        for (const auto& part : parts)
          used += part.empty() ? 0 : 1;
        if (used == 0)
          return caf::make_message(uint64_t{0}, uint64_t{0});
        auto acc = std::make_shared<import_gather>(used);
        acc->rp = self->make_response_promise();
        for (size_t i = 0; i < parts.size(); ++i)
          if (!parts[i].empty())
            send_part(self, acc, static_cast<uint16_t>(i),
                      std::make_shared<const std::vector<person_id>>(
                          std::move(parts[i])),
                      0);
        return acc->rp;
      },
      [self](retry_atom, uint64_t id) {
        auto i = self->state.retries.find(id);
        if (i == self->state.retries.end())
          return;
        auto retry = std::move(i->second);
        self->state.retries.erase(i);
        retry();
      },
  };
}

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
                              msg.match_element<import_atom>(0));
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
  result.importer = n.system().spawn(importer_actor, result.region,
                                     result.status, cfg.shards);
  n.manage(result.importer);
  export_metrics(n.metrics(), std::move(board), result.searches);
  return result;
}

} // namespace troupe::social
