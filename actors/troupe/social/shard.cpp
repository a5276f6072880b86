#include "troupe/social/shard.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/skip.hpp>

#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_journal.hpp"
#include "troupe/social/messages.hpp"
#include "troupe/social/person_table.hpp"

namespace troupe::social {

namespace {

using runtime::errc;
using runtime::make_error;
using op_list = std::vector<persistence::journal_op>;

struct shard_state {
  shard_state(runtime::shard_context ctx, board_ptr b)
      : journal(std::move(ctx)), board(std::move(b)) {
    // nop
  }
  ~shard_state() { publish(0, 0); }

  /// Moves this shard's counts on the node's board to `people`, `halves`.
  void publish(int64_t people, int64_t halves) {
    board->people += people - published_people;
    board->halves += halves - published_halves;
    published_people = people;
    published_halves = halves;
  }

  void publish() {
    publish(static_cast<int64_t>(table.people()),
            static_cast<int64_t>(table.halves()));
  }

  person_table table;
  runtime::shard_journal journal;
  board_ptr board;
  int64_t published_people = 0;
  int64_t published_halves = 0;
};

using state_ptr = std::shared_ptr<shard_state>;

caf::error no_person(person_id id) {
  return make_error(errc::not_found, "no person " + std::to_string(id));
}

/// Journals `ops` and applies them; `reply` goes out once durable (at
/// once when there is nothing to write).
caf::result<caf::message> write(caf::event_based_actor* self, state_ptr st,
                                op_list ops, caf::message reply) {
  if (ops.empty())
    return reply;
  auto rp = self->make_response_promise();
  if (auto err = st->journal.submit(self, ops, rp, std::move(reply)))
    return err;
  st->table.apply(ops);
  st->publish();
  return rp;
}

caf::result<caf::message> create(caf::event_based_actor* self, state_ptr st,
                                 person_id id, const std::string& name) {
  auto ops = st->table.plan_create(id, name);
  if (!ops)
    return make_error(errc::conflict,
                      "person " + std::to_string(id) + " exists already");
  auto friends = st->table.view(id) ? st->table.view(id)->friends : 0u;
  return write(self, st, std::move(*ops),
               caf::make_message(person_view{id, name, friends}));
}

caf::result<caf::message> import(caf::event_based_actor* self, state_ptr st,
                                 std::vector<person_id>& pairs) {
  auto plan = st->table.plan_import(std::move(pairs));
  return write(self, st, std::move(plan.ops),
               caf::make_message(plan.new_halves, plan.new_people));
}

caf::behavior serving(caf::event_based_actor* self, state_ptr st) {
  return {
      [self, st](person_atom, person_id id, const std::string& name) {
        return create(self, st, id, name);
      },
      [st](get_atom, person_id id) -> caf::result<person_view> {
        if (auto view = st->table.view(id))
          return std::move(*view);
        return no_person(id);
      },
      [self, st](link_atom, person_id id,
                 person_id friend_id) -> caf::result<caf::message> {
        auto ops = st->table.plan_link(id, friend_id);
        if (!ops)
          return no_person(id);
        return write(self, st, std::move(*ops),
                     caf::make_message(ok_atom::value));
      },
      [self, st](unlink_atom, person_id id,
                 person_id friend_id) -> caf::result<caf::message> {
        auto ops = st->table.plan_unlink(id, friend_id);
        if (!ops)
          return no_person(id);
        return write(self, st, std::move(*ops),
                     caf::make_message(ok_atom::value));
      },
      [self, st](import_atom, std::vector<person_id>& pairs) {
        return import(self, st, pairs);
      },
      [self, st](people_atom, std::vector<person_id>& ids) {
        uint64_t created = 0;
        auto ops = st->table.plan_people(std::move(ids), created);
        return write(self, st, std::move(ops),
                     caf::make_message(uint64_t{0}, created));
      },
      [st](neighbors_atom, const std::vector<person_id>& ids) {
        std::vector<uint32_t> counts;
        std::vector<person_id> friends;
        st->table.neighbors(ids, counts, friends);
        return caf::make_message(std::move(counts), std::move(friends));
      },
      [st](names_atom, const std::vector<person_id>& ids) {
        std::vector<person_view> out;
        for (auto id : ids)
          if (auto view = st->table.view(id))
            out.push_back(std::move(*view));
        return out;
      },
      [st](runtime::committed_atom, uint64_t seq, bool ok,
           const std::string& err) {
        // Memory is ahead of disk after a failed commit: crash, so that the
        // supervisor restarts this shard from its durable state.
        if (!st->journal.on_committed(seq, ok, err))
          throw std::runtime_error("commit failed: " + err);
      },
      // Every write is journaled when made: nothing waits to be flushed.
      [](runtime::flush_atom) { return runtime::flush_atom::value; },
      [](runtime::crash_atom) -> caf::result<void> {
        throw std::runtime_error("injected fault");
      },
  };
}

} // namespace

caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, board_ptr board) {
  auto st = std::make_shared<shard_state>(ctx, std::move(board));
  // Requests wait in the mailbox until the durable state is loaded.
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, ctx);
  return {
      [self, st](runtime::loaded_atom, const runtime::shard_image_ptr& image) {
        st->table.restore(*image);
        st->journal.restore(image->last_seq);
        st->publish();
        self->set_default_handler(caf::print_and_drop);
        const auto& ctx = st->journal.context();
        if (auto region = caf::actor_cast<caf::actor>(ctx.region))
          self->send(region, runtime::ready_atom::value, ctx.shard);
        self->become(serving(self, st));
      },
  };
}

} // namespace troupe::social
