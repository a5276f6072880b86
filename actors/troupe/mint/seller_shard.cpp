#include "troupe/mint/seller_shard.hpp"

#include <map>
#include <set>
#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/skip.hpp>

#include "troupe/mint/messages.hpp"
#include "troupe/mint/seller_votes.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_journal.hpp"

namespace troupe::mint {

namespace {

using runtime::errc;
using runtime::make_error;
using journal_op = persistence::journal_op;

/// How often unconfirmed winners are sent again.
constexpr auto resend_interval = std::chrono::seconds(2);

/// A stored vote.
struct vote_record {
  std::string category;
  uint64_t seq = 0;
  MSGPACK_DEFINE_ARRAY(category, seq)
};

struct seller_state {
  seller_state(runtime::shard_context ctx, seller_env_ptr e)
      : journal(std::move(ctx)), env(std::move(e)) {
    // nop
  }

  runtime::shard_journal journal;
  seller_env_ptr env;
  std::map<std::string, seller_votes> votes;
  /// Seller key -> winner being sent, and the user shards yet to confirm.
  std::map<std::string, std::pair<category, std::set<uint16_t>>> pending;
};

using state_ptr = std::shared_ptr<seller_state>;

std::string vote_key(const std::string& seller, const std::string& voter) {
  return "v" + seller + '\0' + voter;
}

void send_winner(caf::event_based_actor* self, const state_ptr& st,
                 const std::string& key, uint16_t idx) {
  auto c = st->pending.at(key).first;
  auto msg =
      caf::make_message(crowd_atom::value, key, std::string{to_string(c)});
  auto [dest, remote] = st->env->user_shard(idx);
  if (remote)
    msg = caf::make_message(runtime::to_shard_atom::value, idx, std::move(msg));
  self->request(dest, std::chrono::seconds(10), std::move(msg))
      .then(
          [self, st, key, idx, c](ok_atom) {
            auto i = st->pending.find(key);
            if (i == st->pending.end() || i->second.first != c)
              return;
            i->second.second.erase(idx);
            if (!i->second.second.empty())
              return;
            st->pending.erase(i);
            st->journal.submit(self, {{journal_op::erase, "p" + key, {}}});
          },
          [](caf::error&) {
            // Stays pending: sent again on the next resend tick.
          });
}

void start_sending(caf::event_based_actor* self, const state_ptr& st,
                   const std::string& key, category c) {
  auto& p = st->pending[key];
  p.first = c;
  p.second.clear();
  for (size_t i = 0; i < st->env->user_shards; ++i)
    p.second.insert(static_cast<uint16_t>(i));
  for (size_t i = 0; i < st->env->user_shards; ++i)
    send_winner(self, st, key, static_cast<uint16_t>(i));
}

caf::result<caf::message> vote(caf::event_based_actor* self,
                               const state_ptr& st, const std::string& key,
                               const std::string& voter,
                               const std::string& name) {
  auto c = parse_category(name);
  if (!c || *c == category::uncategorized)
    return make_error(errc::invalid_argument, "unknown category " + name);
  if (st->env->sellers->find(key))
    return caf::make_message(ok_atom::value); // the shipped map decides
  auto seq = st->journal.last_seq() + 1;
  auto next = st->votes[key];
  auto before = next.winner();
  auto after = next.vote(voter, *c, seq);
  std::vector<journal_op> ops{{journal_op::put, vote_key(key, voter),
                               persistence::encode(vote_record{name, seq})}};
  if (before != after)
    ops.push_back({journal_op::put, "p" + key, to_string(after)});
  auto rp = self->make_response_promise();
  if (auto err = st->journal.submit(self, std::move(ops), rp,
                                    caf::make_message(ok_atom::value)))
    return err;
  st->votes[key] = std::move(next);
  if (before != after)
    start_sending(self, st, key, after);
  return rp;
}

void restore(caf::event_based_actor* self, const state_ptr& st,
             const persistence::shard_image& image) {
  for (const auto& [key, value] : image.records) {
    auto nul = key.find('\0');
    vote_record v;
    if (key[0] == 'v' && nul != std::string::npos &&
        persistence::decode(value, v))
      if (auto c = parse_category(v.category))
        st->votes[key.substr(1, nul - 1)].vote(key.substr(nul + 1), *c, v.seq);
  }
  for (const auto& [key, value] : image.records)
    if (key[0] == 'p')
      if (auto c = parse_category(value))
        start_sending(self, st, key.substr(1), *c);
}

caf::behavior serving(caf::event_based_actor* self, state_ptr st) {
  self->delayed_send(self, resend_interval, tick_atom::value);
  return {
      [self, st](vote_atom, const std::string& key, const std::string& voter,
                 const std::string& name) {
        return vote(self, st, key, voter, name);
      },
      [self, st](tick_atom) {
        for (const auto& [key, p] : st->pending)
          for (auto idx : p.second)
            send_winner(self, st, key, idx);
        self->delayed_send(self, resend_interval, tick_atom::value);
      },
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

} // namespace

caf::behavior seller_shard_actor(caf::event_based_actor* self,
                                 runtime::shard_context ctx,
                                 seller_env_ptr env) {
  auto st = std::make_shared<seller_state>(ctx, std::move(env));
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, ctx);
  return {
      [self, st](runtime::loaded_atom, const runtime::shard_image_ptr& image) {
        st->journal.restore(image->last_seq);
        restore(self, st, *image);
        self->set_default_handler(caf::print_and_drop);
        const auto& ctx = st->journal.context();
        if (auto region = caf::actor_cast<caf::actor>(ctx.region))
          self->send(region, runtime::ready_atom::value, ctx.shard);
        self->become(serving(self, st));
      },
  };
}

} // namespace troupe::mint
