// The shard actor of an entity type: activation by first message (state
// read from the store on the committer thread, messages held meanwhile),
// reads and journaled writes, passivation of idle entities.

#include "troupe/runtime/entity.hpp"

#include <deque>
#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "troupe/log.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/region.hpp"
#include "troupe/runtime/shard_journal.hpp"

namespace troupe::runtime::detail {

namespace {

using clock = std::chrono::steady_clock;

/// Messages held per entity while its state is read (more get 429).
constexpr size_t max_held = 1024;

struct held_message {
  caf::response_promise rp;
  caf::message msg;
};

struct entity_slot {
  std::shared_ptr<void> state;
  clock::time_point last_used;
};

struct entity_shard {
  entity_shard(shard_context ctx, entity_ops_ptr ops)
      : journal(std::move(ctx)), ops(std::move(ops)) {
    // nop
  }

  shard_journal journal;
  entity_ops_ptr ops;
  std::unordered_map<std::string, entity_slot> active;
  /// Entities whose state is being read, with the messages for them.
  std::unordered_map<std::string, std::deque<held_message>> activating;
  metric_gauge* gauge = nullptr;

  const shard_context& ctx() const { return journal.context(); }

  std::chrono::milliseconds idle_limit() const {
    return ops->passivate_after.count() > 0
               ? ops->passivate_after
               : ctx().config->runtime.passivate_after;
  }
};

using shard_ptr = std::shared_ptr<entity_shard>;

/// Runs `msg` on the active entity `key`; answers through `rp`.
void handle(caf::event_based_actor* self, entity_shard& sh,
            const std::string& key, caf::message msg,
            caf::response_promise rp) {
  auto& slot = sh.active[key];
  slot.last_used = clock::now();
  switch (sh.ops->access(msg)) {
  case entity_access::none:
    rp.deliver(make_error(errc::invalid_argument,
                          "entity type " + sh.ops->name +
                              " has no handler for this message"));
    return;
  case entity_access::read:
    rp.deliver(sh.ops->apply(slot.state.get(), msg));
    return;
  case entity_access::write:
    break;
  }
  if (!sh.ops->durable) {
    rp.deliver(sh.ops->apply(slot.state.get(), msg));
    return;
  }
  auto next = sh.ops->copy(slot.state.get());
  auto reply = sh.ops->apply(next.get(), msg);
  std::vector<persistence::journal_op> ops{
      {persistence::journal_op::put, key, sh.ops->encode(next.get())}};
  if (auto err = sh.journal.submit(self, std::move(ops), rp, std::move(reply)))
    rp.deliver(std::move(err)); // refused: the state stays as it was
  else
    slot.state = std::move(next);
}

/// Reads the state of `key` on the committer thread (after every write
/// queued before), then activates it with `(activate, key, found, bytes)`.
void activate(caf::event_based_actor* self, entity_shard& sh,
              const std::string& key) {
  auto dest = caf::actor_cast<caf::actor>(self);
  auto* store = sh.ctx().store;
  auto shard = sh.ctx().shard;
  sh.ctx().committer->submit_task([dest, store, shard, key] {
    auto bytes = store->read_entity(shard, key);
    caf::anon_send(dest, activate_atom::value, key, bytes.has_value(),
                   bytes.value_or(std::string{}));
  });
}

void on_activated(caf::event_based_actor* self, entity_shard& sh,
                  const std::string& key, bool found,
                  const std::string& bytes) {
  auto held = std::move(sh.activating[key]);
  sh.activating.erase(key);
  auto state = sh.ops->load(found ? &bytes : nullptr);
  if (!state) {
    log::error("entity", sh.ops->name, " '", key,
               "': stored state does not decode");
    for (auto& h : held)
      h.rp.deliver(make_error(errc::internal, "stored state of entity '" + key +
                                                  "' is corrupt"));
    return;
  }
  sh.active[key] = entity_slot{std::move(state), clock::now()};
  if (sh.gauge != nullptr)
    sh.gauge->add(1);
  for (auto& h : held)
    handle(self, sh, key, std::move(h.msg), std::move(h.rp));
}

void on_message(caf::event_based_actor* self, entity_shard& sh,
                const std::string& key, caf::message& msg) {
  auto rp = self->make_response_promise();
  if (sh.active.count(key) != 0) {
    handle(self, sh, key, std::move(msg), std::move(rp));
    return;
  }
  auto [i, fresh] = sh.activating.try_emplace(key);
  if (i->second.size() >= max_held) {
    rp.deliver(make_error(errc::overloaded, "entity '" + key + "' is busy"));
    return;
  }
  i->second.push_back(held_message{std::move(rp), std::move(msg)});
  if (!fresh)
    return;
  if (sh.ops->durable)
    activate(self, sh, key);
  else
    on_activated(self, sh, key, false, {});
}

void passivate_idle(entity_shard& sh) {
  auto limit = clock::now() - sh.idle_limit();
  for (auto i = sh.active.begin(); i != sh.active.end();) {
    if (i->second.last_used < limit) {
      i = sh.active.erase(i); // every write of it is journaled already
      if (sh.gauge != nullptr)
        sh.gauge->add(-1);
    } else {
      ++i;
    }
  }
}

caf::behavior serving(caf::event_based_actor* self, shard_ptr sh) {
  auto tick = std::max(sh->idle_limit() / 4, std::chrono::milliseconds(10));
  self->delayed_send(self, tick, tick_atom::value);
  self->attach_functor([sh] {
    if (sh->gauge != nullptr)
      sh->gauge->add(-static_cast<double>(sh->active.size()));
  });
  return {
      [self, sh](entity_atom, const std::string& key,
                 caf::message& msg) -> caf::result<caf::message> {
        on_message(self, *sh, key, msg);
        return caf::delegated<caf::message>{};
      },
      [self, sh](activate_atom, const std::string& key, bool found,
                 const std::string& bytes) {
        on_activated(self, *sh, key, found, bytes);
      },
      [self, sh, tick](tick_atom) {
        passivate_idle(*sh);
        self->delayed_send(self, tick, tick_atom::value);
      },
      [sh](committed_atom, uint64_t seq, bool ok, const std::string& err) {
        if (!sh->journal.on_committed(seq, ok, err))
          throw std::runtime_error("commit failed: " + err);
      },
      [sh](count_atom) { return static_cast<uint64_t>(sh->active.size()); },
      [](flush_atom) { return flush_atom::value; },
      [](crash_atom) -> flush_atom {
        throw std::runtime_error("injected crash");
      },
  };
}

caf::behavior entity_shard_actor(caf::event_based_actor* self,
                                 shard_context ctx, entity_ops_ptr ops) {
  auto sh = std::make_shared<entity_shard>(std::move(ctx), std::move(ops));
  if (sh->ctx().metrics != nullptr)
    sh->gauge = &sh->ctx().metrics->gauge("troupe_entities_active",
                                          "Entities in memory (activated)",
                                          {{"entity", sh->ops->name}});
  self->set_default_handler(caf::skip);
  // Only the journal's last seq is needed: entities load one by one.
  auto dest = caf::actor_cast<caf::actor>(self);
  auto* store = sh->ctx().store;
  auto shard = sh->ctx().shard;
  sh->ctx().committer->submit_task([dest, store, shard] {
    caf::anon_send(dest, loaded_atom::value, store->position(shard).seq);
  });
  return {
      [self, sh](loaded_atom, uint64_t last_seq) {
        sh->journal.restore(last_seq);
        self->set_default_handler(caf::print_and_drop);
        self->send(caf::actor_cast<caf::actor>(sh->ctx().region),
                   ready_atom::value, sh->ctx().shard);
        self->become(serving(self, sh));
      },
  };
}

} // namespace

caf::actor start_entities(node& n, entity_ops_ptr ops) {
  region_spec spec;
  spec.service = ops->name;
  spec.shards = ops->shards;
  spec.key_of = [](const caf::message& msg) -> std::optional<std::string> {
    if (msg.match_elements<entity_atom, std::string, caf::message>())
      return msg.get_as<std::string>(1);
    return std::nullopt;
  };
  spec.is_write = [ops](const caf::message& msg) {
    return msg.match_elements<entity_atom, std::string, caf::message>() &&
           ops->access(msg.get_as<caf::message>(2)) == entity_access::write;
  };
  spec.replicated = ops->durable;
  spec.shard = [ops](caf::event_based_actor* self, shard_context ctx) {
    return entity_shard_actor(self, std::move(ctx), ops);
  };
  return n.start_region(std::move(spec));
}

} // namespace troupe::runtime::detail
