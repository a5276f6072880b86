#include "troupe/runtime/virtual_host.hpp"

#include <deque>
#include <unordered_map>

#include <caf/mailbox_element.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "troupe/log.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/restart_intensity.hpp"

namespace troupe::runtime {

namespace {

using clock = std::chrono::steady_clock;

/// Messages held for an entity that is passivating.
constexpr size_t max_buffered = 1024;

struct held_message {
  caf::strong_actor_ptr sender;
  caf::message_id mid;
  caf::message content;
};

struct entity_slot {
  caf::actor handle;
  clock::time_point last_used;
  bool passivating = false;
  std::deque<held_message> held;
};

struct host_state {
  virtual_spec spec;
  std::unordered_map<std::string, entity_slot> active;
  std::unordered_map<caf::actor_addr, std::string> key_of_addr;
  std::unordered_map<std::string, restart_intensity> intensity;
  std::unordered_map<std::string, bool> failed;
  static inline const char* name = "virtual_host";
};

using host_actor = caf::stateful_actor<host_state>;

caf::behavior entity_boot(
    caf::event_based_actor* self,
    std::function<caf::behavior(caf::event_based_actor*, std::string)> init,
    std::string key) {
  return init(self, std::move(key));
}

entity_slot& activate(host_actor* self, const std::string& key) {
  auto& st = self->state;
  auto child = self->spawn<caf::linked>(entity_boot, st.spec.entity, key);
  st.key_of_addr[child.address()] = key;
  auto& slot = st.active[key];
  slot.handle = std::move(child);
  slot.passivating = false;
  if (st.spec.active_gauge != nullptr)
    st.spec.active_gauge->set(static_cast<double>(st.active.size()));
  return slot;
}

void redeliver(host_actor* self, const caf::actor& dest, held_message& msg) {
  dest->enqueue(caf::make_mailbox_element(std::move(msg.sender), msg.mid, {},
                                          std::move(msg.content)),
                self->context());
}

void on_entity_exit(host_actor* self, const std::string& key,
                    const caf::error& why) {
  auto& st = self->state;
  auto i = st.active.find(key);
  if (i == st.active.end())
    return;
  auto held = std::move(i->second.held);
  st.active.erase(i);
  if (st.spec.active_gauge != nullptr)
    st.spec.active_gauge->set(static_cast<double>(st.active.size()));
  bool crashed = why && why != caf::exit_reason::normal;
  if (crashed) {
    auto& in =
        st.intensity
            .try_emplace(key, st.spec.max_restarts, st.spec.restart_period)
            .first->second;
    if (!in.on_crash(clock::now())) {
      log::error("supervisor", st.spec.kind, " '", key,
                 "' crashed too often; escalating: entity disabled");
      st.failed[key] = true;
    } else {
      log::warning("supervisor", st.spec.kind, " '", key, "' crashed (",
                   self->system().render(why),
                   "); re-activated by its next message");
    }
  }
  if (held.empty() || st.failed.count(key) > 0)
    return;
  auto& slot = activate(self, key);
  slot.last_used = clock::now();
  for (auto& msg : held)
    redeliver(self, slot.handle, msg);
}

void passivate_idle(host_actor* self) {
  auto& st = self->state;
  auto deadline = clock::now() - st.spec.passivate_after;
  for (auto& [key, slot] : st.active) {
    if (slot.passivating || slot.last_used > deadline)
      continue;
    slot.passivating = true;
    self->send(slot.handle, passivate_atom::value);
  }
}

caf::result<caf::message> route(host_actor* self, caf::message msg) {
  auto& st = self->state;
  auto key = st.spec.key_of(msg);
  if (!key)
    return caf::sec::unexpected_message;
  if (st.failed.count(*key) > 0)
    return make_error(errc::unavailable,
                      st.spec.kind + " '" + *key + "' is unavailable");
  auto i = st.active.find(*key);
  auto& slot = i != st.active.end() ? i->second : activate(self, *key);
  if (slot.passivating) {
    if (slot.held.size() >= max_buffered)
      return make_error(errc::overloaded, "entity is passivating");
    auto sender = self->current_sender();
    slot.held.push_back(held_message{
        std::move(sender), self->take_current_message_id(), std::move(msg)});
    return caf::delegated<caf::message>{};
  }
  slot.last_used = clock::now();
  self->delegate(slot.handle, std::move(msg));
  return caf::delegated<caf::message>{};
}

caf::behavior host(host_actor* self, virtual_spec spec) {
  auto tick = std::max(spec.passivate_after / 4, std::chrono::milliseconds{5});
  self->state.spec = std::move(spec);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    auto i = st.key_of_addr.find(msg.source);
    if (i == st.key_of_addr.end()) {
      self->quit(msg.reason);
      return;
    }
    auto key = std::move(i->second);
    st.key_of_addr.erase(i);
    on_entity_exit(self, key, msg.reason);
  });
  self->set_default_handler(
      [self](caf::scheduled_actor*, caf::message_view& view) {
        return route(self, view.move_content_to_message());
      });
  self->delayed_send(self, tick, tick_atom::value);
  return {
      [self, tick](tick_atom) {
        passivate_idle(self);
        self->delayed_send(self, tick, tick_atom::value);
      },
      [self](count_atom) {
        return static_cast<uint64_t>(self->state.active.size());
      },
  };
}

} // namespace

caf::actor spawn_virtual_host(caf::actor_system& sys, virtual_spec spec) {
  return sys.spawn(host, std::move(spec));
}

} // namespace troupe::runtime
