#include "troupe/runtime/region.hpp"

#include "troupe/runtime/region_state.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/sec.hpp>

#include "troupe/log.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_map.hpp"

namespace troupe::runtime {

bool region_status::ready() const {
  for (const auto& s : states)
    if (auto x = s.load(); x != up && x != remote)
      return false;
  return true;
}

bool region_status::owner_up(std::string_view key) const {
  if (!members || primaries.empty())
    return true;
  auto view = members->view();
  const auto* m = view->find(primaries[shard_of(key, shards)]);
  return m != nullptr && m->up;
}

caf::actor region_status::shard_at(uint16_t idx) const {
  auto routes = std::atomic_load(&routes_);
  if (!routes || idx >= routes->size())
    return {};
  return (*routes)[idx];
}

caf::actor region_status::shard_for(std::string_view key) const {
  auto routes = std::atomic_load(&routes_);
  if (!routes || routes->empty())
    return {};
  return (*routes)[shard_of(key, routes->size())];
}

void region_status::publish(std::vector<caf::actor> shards) {
  std::atomic_store(&routes_, std::make_shared<const std::vector<caf::actor>>(
                                  std::move(shards)));
}

namespace {

using namespace detail;

caf::behavior shard_boot(
    caf::event_based_actor* self,
    std::function<caf::behavior(caf::event_based_actor*, shard_context)> init,
    shard_context ctx) {
  return init(self, std::move(ctx));
}

void spawn_shard(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto ctx = st.base;
  ctx.service = st.spec.service;
  ctx.shard = idx;
  ctx.region = self->address();
  if (st.placement.members) {
    auto owners = st.placement.map->owners(st.spec.service, idx);
    ctx.backups.assign(owners.begin() + 1, owners.end());
    ctx.members = st.placement.members;
  }
  auto child = self->spawn<caf::linked>(shard_boot, st.spec.shard, ctx);
  st.status->states[idx] = region_status::loading;
  st.index_of[child.address()] = idx;
  st.shards[idx] = std::move(child);
  st.status->publish(st.shards);
}

void on_shard_exit(region_actor* self, uint16_t idx, const caf::error& why) {
  auto& st = self->state;
  st.shards[idx] = nullptr;
  st.status->publish(st.shards);
  if (!why || why == caf::exit_reason::normal) {
    st.status->states[idx] = region_status::failed;
    return;
  }
  auto reason = self->system().render(why);
  if (st.intensity[idx].on_crash(restart_intensity::clock::now())) {
    log::warning("supervisor", st.spec.service, "/", idx, " crashed (", reason,
                 "); restarting from durable state");
    ++st.status->restarts;
    spawn_shard(self, idx);
    return;
  }
  log::error("supervisor", st.spec.service, "/", idx, " crashed ",
             st.intensity[idx].recent_crashes(),
             " times within the restart period (last: ", reason,
             "); escalating: shard stopped on this node");
  ++st.status->escalations;
  st.status->states[idx] = region_status::failed;
}

caf::behavior region(region_actor* self, region_spec spec, shard_context base,
                     region_status_ptr status, region_placement placement) {
  auto& st = self->state;
  auto n = spec.shards;
  st.fault_injection = base.config && base.config->runtime.fault_injection;
  const auto& rt = base.config->runtime;
  st.intensity.assign(n, restart_intensity{rt.max_restarts, rt.restart_period});
  st.spec = std::move(spec);
  st.base = std::move(base);
  st.status = std::move(status);
  st.placement = std::move(placement);
  st.shards.resize(n);
  for (uint16_t i = 0; i < n; ++i) {
    if (owner_of(st, i) == st.placement.self)
      spawn_shard(self, i);
    else
      st.status->states[i] = region_status::remote;
  }
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    auto i = st.index_of.find(msg.source);
    if (i == st.index_of.end()) {
      self->quit(msg.reason);
      return;
    }
    auto idx = i->second;
    st.index_of.erase(i);
    on_shard_exit(self, idx, msg.reason);
  });
  // Keyed messages: route by the service's key extractor.
  self->set_default_handler(
      [self](caf::scheduled_actor*,
             caf::message_view& view) -> caf::result<caf::message> {
        auto msg = view.move_content_to_message();
        auto key = self->state.spec.key_of(msg);
        if (!key)
          return caf::sec::unexpected_message;
        return forward(self, shard_of(*key, self->state.shards.size()),
                       std::move(msg));
      });
  return {
      [self](to_shard_atom, uint16_t idx, caf::message& msg) {
        return forward(self, idx, std::move(msg));
      },
      [self](local_atom, uint16_t idx,
             caf::message& msg) -> caf::result<caf::message> {
        if (msg.match_elements<replicate_atom, std::string>())
          return persist_replica(self, idx, msg.get_as<std::string>(1));
        return forward_local(self, idx, std::move(msg));
      },
      [self](member_down_atom, const std::string& name) {
        fail_in_flight(self, name);
      },
      [](member_up_atom, const std::string&) {
        // Static placement: nothing moves when a node comes back.
      },
      [self](ready_atom, uint16_t idx) {
        auto& st = self->state;
        if (idx < st.shards.size())
          st.status->states[idx] = region_status::up;
      },
      [self](crash_atom, uint16_t idx) -> caf::result<crash_atom> {
        auto& st = self->state;
        if (!st.fault_injection)
          return make_error(errc::not_found, "fault injection is disabled");
        if (idx >= st.shards.size() || !st.shards[idx])
          return make_error(errc::unavailable, "shard is not running");
        log::warning("fault", "injecting a crash into ", st.spec.service, "/",
                     idx);
        self->send(st.shards[idx], crash_atom::value);
        return crash_atom::value;
      },
      [self](flush_atom) {
        // Ask every live shard to persist its buffers; reply when all did.
        auto rp = self->make_response_promise();
        auto remaining = std::make_shared<size_t>(1);
        auto done = [rp, remaining]() mutable {
          if (--*remaining == 0)
            rp.deliver(flush_atom::value);
        };
        for (auto& s : self->state.shards) {
          if (!s)
            continue;
          ++*remaining;
          self->request(s, caf::infinite, flush_atom::value)
              .then([done](flush_atom) mutable { done(); },
                    [done](caf::error&) mutable { done(); });
        }
        done();
        return rp;
      },
  };
}

} // namespace

caf::actor spawn_region(caf::actor_system& sys, region_spec spec,
                        shard_context base, region_status_ptr status,
                        region_placement placement) {
  return sys.spawn(region, std::move(spec), std::move(base), std::move(status),
                   std::move(placement));
}

} // namespace troupe::runtime
