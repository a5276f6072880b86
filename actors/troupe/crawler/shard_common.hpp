#pragma once
// What the crawler's two journaled shards (frontier_shard, index_shard) do
// alike around their own messages.

#include <stdexcept>
#include <string>

#include <caf/actor_cast.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>

#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/shard_journal.hpp"

namespace troupe::crawler {

/// Ends a shard's loading: its journal goes on after `last_seq`, unhandled
/// messages are dropped instead of stashed, and its region hears that it
/// is ready.
inline void finish_loading(caf::event_based_actor* self,
                           runtime::shard_journal& journal, uint64_t last_seq) {
  journal.restore(last_seq);
  self->set_default_handler(caf::print_and_drop);
  const auto& ctx = journal.context();
  if (auto region = caf::actor_cast<caf::actor>(ctx.region))
    self->send(region, runtime::ready_atom::value, ctx.shard);
}

/// The handlers of a journaled shard whose state `st` holds its `journal`:
/// a failed commit crashes it (memory is ahead of disk: the supervisor
/// reloads it), flush answers at once (every write is journaled when made),
/// and an injected fault crashes it.
template <class StatePtr>
caf::message_handler journal_handlers(StatePtr st) {
  return {
      [st](runtime::committed_atom, uint64_t seq, bool ok,
           const std::string& err) {
        if (!st->journal.on_committed(seq, ok, err))
          throw std::runtime_error("commit failed: " + err);
      },
      [](runtime::flush_atom) { return runtime::flush_atom::value; },
      [](runtime::crash_atom) -> caf::result<void> {
        throw std::runtime_error("injected fault");
      },
  };
}

} // namespace troupe::crawler
