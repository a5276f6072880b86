#include "troupe/runtime/region.hpp"

#include "troupe/runtime/region_state.hpp"

#include <optional>

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
  if (!members || owners.empty())
    return true;
  auto view = members->view();
  auto idx = shard_of(key, shards);
  if (auto cfgs = configs(); cfgs && idx < cfgs->size()) {
    // etcd: the configured primary must be reachable and hold its lease
    // (otherwise the shard is failing over: pick another).
    const auto& primary = (*cfgs)[idx].primary;
    const auto* m = primary.empty() ? nullptr : view->find(primary);
    return m != nullptr && (primary == view->self || m->up) && m->lease() != 0;
  }
  for (const auto& name : owners[idx])
    if (const auto* m = view->find(name); m != nullptr && m->up)
      return true;
  return false;
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

void region_status::publish_configs(config_views views) {
  std::atomic_store(&configs_,
                    std::make_shared<const config_views>(std::move(views)));
}

namespace detail {

namespace {

/// A shard actor: the service's behavior, behind a gate. With etcd, the
/// gate refuses every request unless this node's lease is valid and still
/// the one the shard's configuration names: once the lease may have
/// expired in etcd, another node may serve the shard, so this copy must
/// not answer reads (lease-based reads) or take writes.
class shard_actor : public caf::event_based_actor {
public:
  using init_fn =
      std::function<caf::behavior(caf::event_based_actor*, shard_context)>;

  shard_actor(caf::actor_config& cfg, init_fn init, shard_context ctx)
      : caf::event_based_actor(cfg), init_(std::move(init)),
        ctx_(std::move(ctx)) {
    // nop
  }

  caf::behavior make_behavior() override { return init_(this, ctx_); }

  caf::invoke_message_result consume(caf::mailbox_element& x) override {
    if (x.mid.is_request() && !ctx_.may_serve()) {
      caf::response_promise rp{ctrl(), x};
      rp.deliver(make_error(errc::unavailable,
                            "node " + ctx_.config->self +
                                " holds no valid lease in etcd for shard " +
                                std::to_string(ctx_.shard) + " of " +
                                ctx_.service + "; retry"));
      return caf::invoke_message_result::consumed;
    }
    return caf::event_based_actor::consume(x);
  }

private:
  init_fn init_;
  shard_context ctx_;
};

} // namespace

void spawn_shard(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  auto ctx = st.base;
  ctx.service = st.spec.service;
  ctx.shard = idx;
  ctx.region = self->address();
  ctx.epoch = st.epochs[idx];
  if (st.etcd) {
    ctx.members = st.placement.members;
    ctx.lease = st.placement.members->lease();
    ctx.lease_id = st.etcd_shards[idx].cfg.lease;
    if (st.spec.replicated)
      ctx.replicas = st.etcd_shards[idx].replicas;
  } else if (st.placement.members && st.spec.replicated) {
    for (const auto& name : st.owners[idx])
      if (name != st.placement.self)
        ctx.backups.push_back(name);
    ctx.members = st.placement.members;
  }
  auto child = self->spawn<shard_actor, caf::linked>(st.spec.shard, ctx);
  st.status->states[idx] = region_status::loading;
  st.index_of[child.address()] = idx;
  st.shards[idx] = std::move(child);
  st.status->publish(st.shards);
}

void stop_shard(region_actor* self, uint16_t idx, std::function<void()> then) {
  auto& st = self->state;
  auto shard = st.shards[idx];
  if (!shard) {
    then();
    return;
  }
  // Unpublished first: the edge and the membership then send to the region,
  // which stashes or forwards. Messages already in the shard's mailbox when
  // it exits are answered with an error (never acknowledged).
  st.shards[idx] = nullptr;
  st.status->publish(st.shards);
  st.on_stopped[idx] = std::move(then);
  // An exit sent by a linked actor unlinks the receiver first (CAF 0.17):
  // its end arrives as a down message, not as an exit message.
  self->monitor(shard);
  self->send_exit(shard, caf::exit_reason::user_shutdown);
}

namespace {

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

/// Handles the control messages of the etcd protocol another node sent to
/// shard `idx`; nullopt for any other message.
std::optional<caf::result<caf::message>>
on_routed_etcd(region_actor* self, uint16_t idx, caf::message& msg) {
  using persistence::log_position;
  if (msg.match_elements<replicate_atom, std::string>())
    return etcd_persist_replica(self, idx, msg.get_as<std::string>(1));
  if (msg.match_elements<sync_atom, uint64_t, uint64_t, std::string>())
    return etcd_on_sync(
        self, idx,
        log_position{msg.get_as<uint64_t>(1), msg.get_as<uint64_t>(2)},
        msg.get_as<std::string>(3));
  if (msg.match_elements<join_atom, std::string, int64_t, uint64_t, uint64_t>())
    return etcd_on_join(
        self, idx, msg.get_as<std::string>(1), msg.get_as<int64_t>(2),
        log_position{msg.get_as<uint64_t>(3), msg.get_as<uint64_t>(4)});
  if (msg.match_elements<config_atom, std::string, int64_t>()) {
    etcd_on_config(self, idx, msg.get_as<std::string>(1),
                   msg.get_as<int64_t>(2));
    return caf::result<caf::message>{caf::delegated<caf::message>{}};
  }
  return std::nullopt;
}

/// Handles `(local, idx, msg)`: a message another node routed here.
caf::result<caf::message> on_routed(region_actor* self, uint16_t idx,
                                    caf::message& msg) {
  if (idx >= self->state.shards.size())
    return make_error(errc::invalid_argument, "no such shard");
  if (self->state.etcd)
    if (auto res = on_routed_etcd(self, idx, msg))
      return std::move(*res);
  if (msg.match_elements<replicate_atom, std::string>())
    return persist_replica(self, idx, msg.get_as<std::string>(1));
  if (msg.match_elements<sync_atom, uint64_t, uint64_t, std::string>())
    return on_sync_request(self, idx,
                           persistence::log_position{msg.get_as<uint64_t>(1),
                                                     msg.get_as<uint64_t>(2)},
                           msg.get_as<std::string>(3));
  // One-way control messages: no answer.
  if (msg.match_elements<synced_atom, std::string, bool>()) {
    on_synced(self, idx, msg.get_as<std::string>(1), msg.get_as<bool>(2));
    return caf::delegated<caf::message>{};
  }
  if (msg.match_elements<offer_atom, uint64_t>()) {
    on_offer(self, idx, msg.get_as<uint64_t>(1));
    return caf::delegated<caf::message>{};
  }
  return forward_routed(self, idx, std::move(msg));
}

/// A shard stopped on purpose (stop_shard) is gone, or crashed on the
/// way: either way, what was to follow its stop follows now.
bool on_stopped(region_actor* self, const caf::actor_addr& source) {
  auto& st = self->state;
  auto i = st.index_of.find(source);
  if (i == st.index_of.end())
    return false;
  auto j = st.on_stopped.find(i->second);
  if (j == st.on_stopped.end())
    return false;
  st.index_of.erase(i);
  auto then = std::move(j->second);
  st.on_stopped.erase(j);
  then();
  return true;
}

void on_exit(region_actor* self, caf::exit_msg& msg) {
  if (on_stopped(self, msg.source))
    return;
  auto& st = self->state;
  auto i = st.index_of.find(msg.source);
  if (i == st.index_of.end()) {
    if (msg.reason != caf::exit_reason::user_shutdown &&
        msg.reason != caf::exit_reason::normal)
      log::error("region", st.spec.service, ": stops after an exit of ",
                 caf::to_string(msg.source), " (",
                 self->system().render(msg.reason), ")");
    self->quit(msg.reason);
    return;
  }
  auto idx = i->second;
  st.index_of.erase(i);
  on_shard_exit(self, idx, msg.reason);
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
  init_roles(self);
  // Errors answering one-way messages (a control message that reached a
  // node whose service is not running yet) are not this region's failure.
  self->set_error_handler([self](caf::error& err) {
    log::debug("region", self->state.spec.service,
               ": ignoring an error: ", self->system().render(err));
  });
  self->set_exception_handler([self](caf::scheduled_actor*,
                                     std::exception_ptr& ep) -> caf::error {
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      log::error("region", self->state.spec.service,
                 ": unexpected exception: ", ex.what());
    } catch (...) {
      log::error("region", self->state.spec.service, ": unexpected exception");
    }
    return caf::sec::runtime_error;
  });
  self->set_exit_handler([self](caf::exit_msg& msg) { on_exit(self, msg); });
  self->set_down_handler(
      [self](caf::down_msg& msg) { on_stopped(self, msg.source); });
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
      [self](local_atom, uint16_t idx, caf::message& msg)
          -> caf::result<caf::message> { return on_routed(self, idx, msg); },
      [self](member_down_atom, const std::string& name) {
        fail_in_flight(self, name);
        if (self->state.etcd)
          etcd_reconcile_all(self);
        else
          on_member_down(self, name);
      },
      [self](member_up_atom, const std::string& name) {
        if (self->state.etcd)
          etcd_reconcile_all(self);
        else
          on_member_up(self, name);
      },
      // -- etcd --------------------------------------------------------------
      [self](config_atom, uint16_t idx, const std::string& json,
             int64_t revision) { etcd_on_config(self, idx, json, revision); },
      [self](configs_atom) {
        self->state.configs_loaded = true;
        etcd_reconcile_all(self);
      },
      [self](configs_atom, const std::vector<uint64_t>& epochs) {
        etcd_on_positions(self, epochs);
      },
      [self](lease_atom, int64_t, bool) { etcd_reconcile_all(self); },
      [self](leases_atom) { etcd_on_leases(self); },
      [self](drop_atom, uint16_t idx, const std::string& node, uint64_t epoch) {
        etcd_on_drop(self, idx, node, epoch);
      },
      [self](cas_atom, uint16_t idx) { etcd_retry_read_back(self, idx); },
      [self](tick_atom) {
        etcd_reconcile_all(self);
        self->delayed_send(
            self, self->state.base.config->membership.heartbeat_interval,
            tick_atom::value);
      },
      [self](grace_atom) {
        self->state.grace_over = true;
        if (self->state.etcd)
          etcd_reconcile_all(self);
        else
          reconcile_all(self);
      },
      [self](grace_atom, uint16_t idx, uint64_t token) {
        if (self->state.etcd)
          etcd_on_handover_timeout(self, idx, token);
        else
          on_handover_timeout(self, idx, token);
      },
      [self](deposed_atom, uint16_t idx, uint64_t epoch) {
        step_down(self, idx, epoch);
      },
      [self](sync_atom, uint16_t idx, uint64_t token, uint64_t epoch,
             uint64_t seq) {
        persistence::log_position pos{epoch, seq};
        if (self->state.etcd)
          etcd_on_position(self, idx, token, pos);
        else
          on_position(self, idx, token, pos);
      },
      [self](synced_atom, uint16_t idx, uint64_t token, uint64_t epoch,
             uint64_t seq) {
        persistence::log_position pos{epoch, seq};
        if (self->state.etcd)
          etcd_on_installed(self, idx, token, pos);
        else
          on_installed(self, idx, token, pos);
      },
      [self](sync_atom, uint16_t idx) {
        if (!self->state.etcd)
          retry_sync(self, idx);
        else if (self->state.roles[idx] == shard_role::waiting)
          etcd_reconcile(self, idx);
      },
      [self](sync_atom, uint16_t idx, bool) { etcd_resync(self, idx); },
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

} // namespace detail

caf::actor spawn_region(caf::actor_system& sys, region_spec spec,
                        shard_context base, region_status_ptr status,
                        region_placement placement) {
  return sys.spawn(detail::region, std::move(spec), std::move(base),
                   std::move(status), std::move(placement));
}

} // namespace troupe::runtime
