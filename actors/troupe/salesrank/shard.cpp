#include "troupe/salesrank/shard.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/skip.hpp>

#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_journal.hpp"
#include "troupe/salesrank/messages.hpp"
#include "troupe/salesrank/rank_table.hpp"
#include "troupe/salesrank/render.hpp"
#include "troupe/salesrank/sale_batch.hpp"

namespace troupe::salesrank {

namespace {

using runtime::errc;
using runtime::make_error;
using journal_op = persistence::journal_op;

struct shard_state {
  shard_state(runtime::shard_context ctx, board_ptr b, clock_fn f)
      : table(ctx.config->salesrank.top_size), journal(std::move(ctx)),
        board(std::move(b)), now(std::move(f)) {
    // nop
  }
  ~shard_state() { board->pairs -= published_pairs; }

  uint32_t now_hour() const { return static_cast<uint32_t>(now() / 3600); }

  void publish() {
    auto pairs = static_cast<int64_t>(table.pairs());
    board->pairs += pairs - published_pairs;
    published_pairs = pairs;
  }

  rank_table table;
  runtime::shard_journal journal;
  board_ptr board;
  clock_fn now;
  /// Journaled batches (key) and the newest hour each holds.
  std::map<std::string, uint32_t> batches;
  int64_t published_pairs = 0;
};

using state_ptr = std::shared_ptr<shard_state>;

std::string batch_key(uint64_t seq) {
  std::string key{"b"};
  for (int shift = 56; shift >= 0; shift -= 8)
    key += static_cast<char>(seq >> shift);
  return key;
}

/// Adds a batch's sales to the table and sets `newest` to the newest hour
/// in it; false if it does not decode (the sales before are added).
bool apply_batch(rank_table& table, std::string_view bytes, uint32_t& newest) {
  newest = 0;
  return sale_batch::for_each(bytes, [&](const sale& s) {
    newest = std::max(newest, s.hour);
    table.add(s.hour, s.quantity, s.category, s.product);
  });
}

caf::result<caf::message> ingest(caf::event_based_actor* self, state_ptr st,
                                 const std::string& bytes) {
  st->table.advance(st->now_hour());
  auto h = st->table.hour();
  uint64_t in_window = 0;
  uint32_t newest = 0;
  bool ok = sale_batch::for_each(bytes, [&](const sale& s) {
    newest = std::max(newest, s.hour);
    in_window += s.hour <= h + 1 && s.hour + (window_hours - 1) >= h;
  });
  // Nothing of a batch that does not decode is stored.
  if (!ok)
    return make_error(errc::invalid_argument, "malformed sale batch");
  auto key = batch_key(st->journal.last_seq() + 1);
  auto rp = self->make_response_promise();
  std::vector<journal_op> ops{{journal_op::put, key, bytes}};
  if (auto err = st->journal.submit(self, std::move(ops), rp,
                                    caf::make_message(in_window)))
    return err;
  sale_batch::for_each(bytes, [&](const sale& s) {
    st->table.add(s.hour, s.quantity, s.category, s.product);
  });
  st->batches.emplace(key, newest);
  st->board->sales += in_window;
  st->publish();
  return rp;
}

/// Moves the window to the current hour, erases the batches that left
/// it, and re-ranks.
void tick(caf::event_based_actor* self, const state_ptr& st) {
  st->table.advance(st->now_hour());
  std::vector<journal_op> ops;
  auto oldest = st->table.hour() - (window_hours - 1);
  for (const auto& [key, newest] : st->batches)
    if (newest < oldest)
      ops.push_back({journal_op::erase, key, {}});
  if (!ops.empty() && !st->journal.submit(self, ops))
    for (const auto& x : ops)
      st->batches.erase(x.key);
  st->table.refresh();
  st->publish();
}

caf::behavior serving(caf::event_based_actor* self, state_ptr st) {
  auto every = st->journal.context().config->salesrank.refresh_interval;
  self->delayed_send(self, every, tick_atom::value);
  return {
      [self, st](ingest_atom, const std::string& bytes) {
        return ingest(self, st, bytes);
      },
      [st](popular_atom, const std::string& category, uint32_t limit) {
        return render_ranking(category, st->table.ranking(category), limit);
      },
      [self, st](refresh_atom) {
        tick(self, st);
        return refresh_atom::value;
      },
      [self, st, every](tick_atom) {
        tick(self, st);
        self->delayed_send(self, every, tick_atom::value);
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

void restore(const state_ptr& st, const persistence::shard_image& image) {
  st->table.advance(st->now_hour());
  for (const auto& [key, value] : image.records) {
    uint32_t newest = 0;
    if (key.size() == 9 && key[0] == 'b' &&
        apply_batch(st->table, value, newest))
      st->batches.emplace(key, newest);
  }
  st->table.refresh();
  st->publish();
}

} // namespace

caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, board_ptr board,
                          clock_fn now) {
  auto st =
      std::make_shared<shard_state>(ctx, std::move(board), std::move(now));
  // Requests wait in the mailbox until the durable state is loaded.
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, ctx);
  return {
      [self, st](runtime::loaded_atom, const runtime::shard_image_ptr& image) {
        restore(st, *image);
        st->journal.restore(image->last_seq);
        self->set_default_handler(caf::print_and_drop);
        const auto& ctx = st->journal.context();
        if (auto region = caf::actor_cast<caf::actor>(ctx.region))
          self->send(region, runtime::ready_atom::value, ctx.shard);
        self->become(serving(self, st));
      },
  };
}

} // namespace troupe::salesrank
