#pragma once

// Entities: your own sharded, persistent, supervised actors, declared with a
// state type and message handlers. Example (examples/embedded_counter):
//
//   struct counter { int64_t value = 0; MSGPACK_DEFINE_MAP(value) };
//   using add_atom = caf::atom_constant<caf::atom("add")>;
//   using get_atom = caf::atom_constant<caf::atom("get")>;
//
//   auto counters = troupe::runtime::declare(node,
//       troupe::runtime::entity_type<counter>{"counter"}
//           .on([](counter& c, add_atom, int64_t by) { return c.value += by; })
//           .on([](const counter& c, get_atom) { return c.value; })
//           .passivate_after(std::chrono::seconds(30)));
//   auto v = troupe::runtime::ask<int64_t>(node, counters, "visits",
//                                          add_atom::value, int64_t{1});
//
// An entity type is a region (runtime/region.hpp) of shard actors, so it
// gets everything a built-in service gets: routing by key from any node of
// the cluster, journaling through the group committer with the node's
// durability level, replication, failover, supervision. Inside a shard, an
// entity is activated by its first message (its state is read from the
// store, or default-constructed for a key never written), handled one
// message at a time, and passivated (dropped from memory) after being
// idle for `passivate_after`. A handler taking `State&` is a write: it
// runs on a copy, the copy is journaled, and the reply goes out once the
// write is durable; a handler taking `const State&` is a read.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/scoped_actor.hpp>

#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/node.hpp"

namespace troupe::runtime {

namespace detail {

/// What an entity type's handlers do with a message.
enum class entity_access : uint8_t { none, read, write };

/// The type-erased operations of one entity type; built by `entity_type`.
struct entity_ops {
  std::string name;
  size_t shards = 16;
  std::chrono::milliseconds passivate_after{0};
  /// False: state lives in memory only (no journal, no replication).
  bool durable = true;
  /// Whether a handler takes `msg`, and whether it writes.
  std::function<entity_access(const caf::message& msg)> access;
  /// Decodes stored bytes (nullptr: a key never written gets a default
  /// state). Returns nullptr if the bytes do not decode.
  std::function<std::shared_ptr<void>(const std::string* bytes)> load;
  std::function<std::shared_ptr<void>(const void* state)> copy;
  std::function<std::string(const void* state)> encode;
  /// Runs the handler of `msg` on `state`; returns its reply.
  std::function<caf::message(void* state, caf::message& msg)> apply;
};

using entity_ops_ptr = std::shared_ptr<const entity_ops>;

/// Starts the region of an entity type on `n`; returns the region.
caf::actor start_entities(node& n, entity_ops_ptr ops);

template <class F>
struct handler_traits : handler_traits<decltype(&F::operator())> {};

template <class C, class R, class S, class... Ts>
struct handler_traits<R (C::*)(S, Ts...) const> {
  using result = R;
  using state_arg = S;
  using args = std::tuple<std::decay_t<Ts>...>;
};

template <class C, class R, class S, class... Ts>
struct handler_traits<R (C::*)(S, Ts...)>
    : handler_traits<R (C::*)(S, Ts...) const> {};

template <class... Ts>
bool matches(const caf::message& msg, std::tuple<Ts...>*) {
  return msg.match_elements<Ts...>();
}

template <class State, class F, class... Ts, size_t... Is>
caf::message invoke(F& f, State& state, caf::message& msg, std::tuple<Ts...>*,
                    std::index_sequence<Is...>) {
  return caf::make_message(f(state, msg.get_as<Ts>(Is)...));
}

} // namespace detail

/// Turns an entity key into the string the runtime routes and stores by:
/// strings as they are, integers in decimal. Overload it (in namespace
/// troupe::runtime) for key types of your own.
inline std::string entity_key(std::string key) {
  return key;
}

inline std::string entity_key(const char* key) {
  return key;
}

template <class Int, class = std::enable_if_t<std::is_integral_v<Int>>>
std::string entity_key(Int key) {
  return std::to_string(key);
}

/// The declaration of an entity type whose state is `State`: default
/// constructible, copyable and msgpack-encodable (`MSGPACK_DEFINE_MAP`).
/// Message element types other than CAF's built-ins (atoms, integers,
/// strings, ...) must be announced in the node's `customize` hook.
template <class State>
class entity_type {
public:
  /// `name` names the region (and its LMDB databases): unique per node,
  /// the same on every node of a cluster.
  explicit entity_type(std::string name) {
    ops_->name = std::move(name);
    ops_->load = [](const std::string* bytes) -> std::shared_ptr<void> {
      auto state = std::make_shared<State>();
      if (bytes != nullptr && !persistence::decode(*bytes, *state))
        return nullptr;
      return state;
    };
    ops_->copy = [](const void* state) -> std::shared_ptr<void> {
      return std::make_shared<State>(*static_cast<const State*>(state));
    };
    ops_->encode = [](const void* state) {
      return persistence::encode(*static_cast<const State*>(state));
    };
  }

  /// Adds a handler `R(State&, Ts...)` (a write) or `R(const State&,
  /// Ts...)` (a read) for messages of exactly the types `Ts...`; its
  /// result `R` (not void) is the reply. A handler that throws crashes
  /// the shard: the supervisor restarts it and its entities reactivate
  /// from their durable state.
  template <class F>
  entity_type& on(F f) {
    using traits = detail::handler_traits<F>;
    using args = typename traits::args;
    using state_arg = typename traits::state_arg;
    static_assert(!std::is_void_v<typename traits::result>,
                  "an entity handler must return its reply");
    static_assert(std::is_same_v<std::decay_t<state_arg>, State>,
                  "the first parameter must be State& or const State&");
    constexpr bool writes =
        !std::is_const_v<std::remove_reference_t<state_arg>>;
    handlers_.push_back(
        {[](const caf::message& msg) {
           return detail::matches(msg, static_cast<args*>(nullptr));
         },
         writes ? detail::entity_access::write : detail::entity_access::read,
         [f](void* state, caf::message& msg) mutable {
           return detail::invoke(
               f, *static_cast<State*>(state), msg, static_cast<args*>(nullptr),
               std::make_index_sequence<std::tuple_size_v<args>>{});
         }});
    return *this;
  }

  /// Shards of the region (default 16); part of the cluster config hash
  /// only through the data: keep it fixed once data exists.
  entity_type& shards(size_t n) {
    ops_->shards = n;
    return *this;
  }

  /// Idle time after which an entity leaves memory (default: the node's
  /// `runtime.passivate_after_ms`).
  entity_type& passivate_after(std::chrono::milliseconds t) {
    ops_->passivate_after = t;
    return *this;
  }

  /// True (default): every write is journaled with the node's durability
  /// level (`persistence.durability`: sync, group or async) and replicated
  /// to the shard's backups; passivated entities come back with their
  /// state. False: state lives in memory only: it is lost when the entity
  /// is passivated, its shard crashes or the node stops, and a shard that
  /// moves to another node starts empty (like the built-in cache).
  entity_type& durable(bool yes) {
    ops_->durable = yes;
    return *this;
  }

  /// The type-erased form `declare` starts (used once).
  detail::entity_ops_ptr build() {
    auto handlers = std::make_shared<std::vector<handler>>(handlers_);
    ops_->access = [handlers](const caf::message& msg) {
      for (const auto& h : *handlers)
        if (h.matches(msg))
          return h.access;
      return detail::entity_access::none;
    };
    ops_->apply = [handlers](void* state, caf::message& msg) {
      for (auto& h : *handlers)
        if (h.matches(msg))
          return h.apply(state, msg);
      return caf::message{};
    };
    return ops_;
  }

private:
  struct handler {
    std::function<bool(const caf::message&)> matches;
    detail::entity_access access;
    std::function<caf::message(void*, caf::message&)> apply;
  };

  std::shared_ptr<detail::entity_ops> ops_ =
      std::make_shared<detail::entity_ops>();
  std::vector<handler> handlers_;
};

/// A handle to the entities of one type: send to or request from the
/// entity of a key, from any actor of any node of the cluster.
template <class State>
struct entity_ref {
  /// The region of the entity type on this node.
  caf::actor region;

  /// The message that reaches the entity `key` (any type `entity_key`
  /// takes) with `xs...`: send or request it to `region`.
  template <class Key, class... Ts>
  static caf::message envelope(Key&& key, Ts&&... xs) {
    return caf::make_message(entity_atom::value,
                             entity_key(std::forward<Key>(key)),
                             caf::make_message(std::forward<Ts>(xs)...));
  }
};

/// Starts the entities of `type` on `n` (after `n.start()`).
template <class State>
entity_ref<State> declare(node& n, entity_type<State> type) {
  return entity_ref<State>{detail::start_entities(n, type.build())};
}

/// Requests `xs...` from the entity `key` and waits for its reply `R`, or
/// an error (`unavailable`, `overloaded`, a timeout). Blocks the calling
/// thread: for `main` and tests, never inside an actor (use
/// `self->request(ref.region, timeout, ref.envelope(key, xs...))` there).
template <class R, class State, class Key, class... Ts>
caf::expected<R> ask(node& n, const entity_ref<State>& ref, Key&& key,
                     Ts&&... xs) {
  caf::scoped_actor self{n.system()};
  caf::expected<R> result{caf::sec::none};
  self->request(ref.region, n.config().http.request_timeout,
                entity_ref<State>::envelope(std::forward<Key>(key),
                                            std::forward<Ts>(xs)...))
      .receive([&](R& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace troupe::runtime
