#include "troupe/twitter/shard.hpp"

#include <map>
#include <stdexcept>
#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/skip.hpp>

#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_journal.hpp"
#include "troupe/runtime/shard_map.hpp"
#include "troupe/twitter/auth.hpp"
#include "troupe/twitter/home_state.hpp"
#include "troupe/twitter/messages.hpp"
#include "troupe/twitter/render.hpp"
#include "troupe/twitter/text.hpp"
#include "troupe/twitter/user_state.hpp"

namespace troupe::twitter {

namespace {

using runtime::errc;
using runtime::make_error;
using op = persistence::journal_op;

/// A home-timeline read waiting for its timeline to be built.
struct waiter {
  caf::typed_response_promise<std::string> rp;
  uint32_t count;
  uint64_t max_id;
};

struct shard_state {
  shard_state(runtime::shard_context ctx, shard_deps_ptr d)
      : cfg(ctx.config->twitter), timeout(ctx.config->http.request_timeout),
        journal(std::move(ctx)), deps(std::move(d)),
        homes(cfg.home_timeline_size, cfg.notifications_per_user) {
    // nop
  }
  const config::twitter_settings& cfg;
  std::chrono::milliseconds timeout;
  runtime::shard_journal journal;
  shard_deps_ptr deps;
  user_state users;
  home_state homes;
  /// Reads waiting for a build, by user.
  std::unordered_map<std::string, std::vector<waiter>> waiters;
  /// The generation of the build in flight, by user.
  std::unordered_map<std::string, uint64_t> builds;
  uint64_t next_build = 0;
  /// `homes.entries()` as last added to the board.
  int64_t published_entries = 0;

  caf::actor region() const {
    return caf::actor_cast<caf::actor>(journal.context().region);
  }

  /// Publishes the change of home-timeline entries to the board.
  void publish() {
    auto now = static_cast<int64_t>(homes.entries());
    deps->board->home_entries += now - published_entries;
    published_entries = now;
  }

  bool inactive(const user_entry& u, int64_t now_ms) const {
    auto window = static_cast<int64_t>(cfg.active_days) * 86400 * 1000;
    return now_ms - u.active_ms > window;
  }
};

using state_ptr = std::shared_ptr<shard_state>;

caf::error no_user(const std::string& user) {
  return make_error(errc::not_found, "no user " + user);
}

/// Checks that `user` exists and `token` is theirs.
caf::expected<const user_entry*> authenticate(const state_ptr& st,
                                              const std::string& user,
                                              const std::string& token) {
  auto u = st->users.find(user);
  if (u == nullptr)
    return no_user(user);
  if (!auth_token_matches(token, u->rec.token_hash))
    return make_error(errc::unauthenticated, "wrong auth_token for " + user);
  return u;
}

/// Journals `ops` (the reply `reply` goes out once durable) and applies
/// them; returns the refusal, if any.
caf::error write(caf::event_based_actor* self, const state_ptr& st,
                 std::vector<op> ops, caf::response_promise rp,
                 caf::message reply) {
  if (auto err = st->journal.submit(self, ops, std::move(rp), std::move(reply)))
    return err;
  for (const auto& x : ops)
    st->users.apply(x);
  return {};
}

/// Marks `user` active; persists it now and then (nobody waits).
void touch(caf::event_based_actor* self, const state_ptr& st,
           const std::string& user) {
  if (auto x = st->users.touch(user, st->deps->now_ms()))
    if (!st->journal.submit(self, {*x}))
      st->users.apply(*x);
}

// -- users and follows --------------------------------------------------------

caf::result<caf::message> create_user(caf::event_based_actor* self,
                                      const state_ptr& st,
                                      const std::string& user,
                                      const std::string& name,
                                      const std::string& token_hash) {
  if (st->users.find(user) != nullptr)
    return make_error(errc::conflict, "user " + user + " exists");
  auto rp = self->make_response_promise();
  user_record rec{name, token_hash, st->deps->now_ms()};
  if (auto err = write(self, st, {user_state::put_user(user, rec)}, rp,
                       caf::make_message(ok_atom::value)))
    return err;
  return rp;
}

/// Journals `x`, one side of a follow or unfollow, unless nothing
/// `changed`; answers ok once durable.
caf::result<caf::message> set_side(caf::event_based_actor* self,
                                   const state_ptr& st, op x, bool changed) {
  if (!changed)
    return caf::make_message(ok_atom::value);
  auto rp = self->make_response_promise();
  if (auto err = write(self, st, {std::move(x)}, rp,
                       caf::make_message(ok_atom::value)))
    return err;
  return rp;
}

caf::result<caf::message> add_follower(caf::event_based_actor* self,
                                       const state_ptr& st,
                                       const std::string& followee,
                                       const std::string& follower,
                                       bool notify) {
  auto u = st->users.find(followee);
  if (u == nullptr)
    return no_user(followee);
  auto i = u->followers.find(follower);
  bool changed = i == u->followers.end() || i->second != notify;
  return set_side(
      self, st, user_state::put_follower(followee, follower, notify), changed);
}

caf::result<caf::message> del_follower(caf::event_based_actor* self,
                                       const state_ptr& st,
                                       const std::string& followee,
                                       const std::string& follower) {
  auto u = st->users.find(followee);
  if (u == nullptr)
    return no_user(followee);
  return set_side(self, st, user_state::erase_follower(followee, follower),
                  u->followers.count(follower) != 0);
}

void rebuild(caf::event_based_actor* self, const state_ptr& st,
             const std::string& user);

/// The second step of a follow or unfollow, once the followee's shard
/// stored its side: stores the follower's side.
void finish_follow(caf::event_based_actor* self, const state_ptr& st,
                   const std::string& user, const std::string& followee,
                   std::optional<bool> notify, caf::response_promise rp) {
  auto u = st->users.find(user);
  auto i = u->followees.find(followee);
  bool follows = i != u->followees.end();
  auto x = notify ? user_state::put_followee(user, followee, *notify)
                  : user_state::erase_followee(user, followee);
  bool changed = notify ? !follows || i->second != *notify : follows;
  if (!changed)
    return rp.deliver(ok_atom::value), void();
  if (auto err = write(self, st, {std::move(x)}, rp,
                       caf::make_message(ok_atom::value)))
    return rp.deliver(std::move(err)), void();
  if (notify && !follows) {
    // A new followee's earlier tweets belong in the home timeline too:
    // build it again on the next read.
    st->homes.drop(user);
    st->builds.erase(user);
    if (st->waiters.count(user) != 0)
      rebuild(self, st, user);
  } else if (!notify) {
    st->homes.remove_author(user, followee);
  }
  st->publish();
}

caf::result<caf::message> follow(caf::event_based_actor* self,
                                 const state_ptr& st, const std::string& user,
                                 const std::string& token,
                                 const std::string& followee,
                                 std::optional<bool> notify) {
  auto u = authenticate(st, user, token);
  if (!u)
    return std::move(u.error());
  if (user == followee)
    return make_error(errc::invalid_argument,
                      "a user cannot follow themselves");
  const auto& followees = (*u)->followees;
  if (notify && followees.count(followee) == 0 &&
      followees.size() >= st->cfg.max_followees)
    return make_error(errc::invalid_argument,
                      user + " already follows " +
                          std::to_string(st->cfg.max_followees) + " users");
  touch(self, st, user);
  auto rp = self->make_response_promise();
  auto ask =
      notify
          ? caf::make_message(add_follower_atom::value, followee, user, *notify)
          : caf::make_message(del_follower_atom::value, followee, user);
  self->request(st->region(), st->timeout, std::move(ask))
      .then(
          [self, st, user, followee, notify, rp](ok_atom) mutable {
            finish_follow(self, st, user, followee, notify, std::move(rp));
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// -- tweets and fan-out -------------------------------------------------------

/// Hands a stored tweet to the node's fan-out actor.
void start_fanout(caf::event_based_actor* self, const state_ptr& st,
                  const tweet& t) {
  const auto& u = *st->users.find(t.user_id);
  bool celebrity = u.followers.size() > st->cfg.fanout_limit;
  std::vector<std::string> followers;
  followers.reserve(celebrity ? u.notify_followers : u.followers.size());
  for (const auto& [f, notify] : u.followers)
    if (!celebrity || notify)
      followers.push_back(f);
  auto mentioned = mentions(t.status);
  mentioned.erase(std::remove(mentioned.begin(), mentioned.end(), t.user_id),
                  mentioned.end());
  if (followers.empty() && mentioned.empty() && !celebrity)
    return;
  auto ticket = std::make_shared<const backlog_ticket>(st->deps->board);
  self->send(st->deps->fanout, fanout_atom::value,
             std::make_shared<const tweet>(t), std::move(followers), celebrity,
             std::move(mentioned), std::move(ticket));
}

caf::result<caf::message> post(caf::event_based_actor* self,
                               const state_ptr& st, const std::string& user,
                               const std::string& token, std::string& status,
                               std::vector<std::string>& media) {
  auto u = authenticate(st, user, token);
  if (!u)
    return std::move(u.error());
  auto& board = *st->deps->board;
  if (board.backlog.load() >= static_cast<int64_t>(st->cfg.fanout_queue))
    return make_error(errc::overloaded, "the fan-out queue is full");
  tweet t{st->deps->ids->next(), user, std::move(status), std::move(media)};
  std::vector<op> ops{user_state::put_tweet(t)};
  if (auto x = st->users.touch(user, st->deps->now_ms()))
    ops.push_back(std::move(*x));
  auto rp = self->make_response_promise();
  if (auto err = write(self, st, std::move(ops), rp, caf::make_message(t)))
    return err;
  ++board.tweets;
  start_fanout(self, st, t);
  return rp;
}

/// Applies a fan-out batch: `t` goes to the home timelines of the active
/// `followers` (when `to_timeline`) and to the notifications of those who
/// asked for them. Followers who unfollowed meanwhile get nothing.
void push(const state_ptr& st, const tweet_ptr& t,
          const std::vector<std::string>& followers, bool to_timeline) {
  uint64_t delivered = 0;
  auto now = st->deps->now_ms();
  for (const auto& f : followers) {
    auto u = st->users.find(f);
    if (u == nullptr)
      continue;
    auto edge = u->followees.find(t->user_id);
    if (edge == u->followees.end())
      continue;
    if (edge->second)
      st->homes.notify(f, notification{t->id, t->user_id,
                                       static_cast<uint8_t>(note_kind::tweet)});
    if (!to_timeline)
      continue;
    if (st->inactive(*u, now))
      st->homes.drop(f);
    else if (st->homes.deliver(f, t))
      ++delivered;
  }
  st->deps->board->deliveries += delivered;
  st->publish();
}

void notify(const state_ptr& st, const std::string& user, notification& n) {
  if (st->users.find(user) == nullptr)
    return;
  st->homes.notify(user, std::move(n));
}

// -- home timelines -----------------------------------------------------------

std::string read_built(const state_ptr& st, const std::string& user,
                       const home_state::home& h, size_t count,
                       uint64_t max_id) {
  const auto& followees = st->users.find(user)->followees;
  auto follows = [&followees](const std::string& a) {
    return followees.count(a) != 0;
  };
  return render_tweets(st->homes.read(h, count, max_id, follows));
}

/// Completes build `gen` of `user`'s home timeline and answers the reads
/// that waited for it; a failed build answers them 503 and is retried by
/// the next read.
void complete_build(const state_ptr& st, const std::string& user, uint64_t gen,
                    const tweet_list& fetched, caf::error failure) {
  auto b = st->builds.find(user);
  if (b == st->builds.end() || b->second != gen)
    return; // superseded
  st->builds.erase(b);
  auto ws = std::move(st->waiters[user]);
  st->waiters.erase(user);
  if (failure) {
    st->homes.drop(user);
    for (auto& w : ws)
      w.rp.deliver(failure);
    return;
  }
  st->homes.finish_build(user, fetched);
  st->publish();
  auto h = st->homes.find(user);
  if (h == nullptr)
    return;
  for (auto& w : ws)
    w.rp.deliver(read_built(st, user, *h, w.count, w.max_id));
}

/// Builds `user`'s home timeline from the user timelines of the people
/// they follow: one request per shard holding some of them.
void rebuild(caf::event_based_actor* self, const state_ptr& st,
             const std::string& user) {
  st->homes.begin_build(user);
  auto gen = ++st->next_build;
  st->builds[user] = gen;
  std::map<uint16_t, std::vector<std::string>> groups;
  auto shards = st->cfg.shards;
  for (const auto& [f, notify] : st->users.find(user)->followees)
    groups[runtime::shard_of(f, shards)].push_back(f);
  struct gather {
    tweet_list got;
    size_t remaining;
    caf::error failure;
  };
  auto acc = std::make_shared<gather>(gather{{}, groups.size(), {}});
  if (groups.empty())
    return complete_build(st, user, gen, {}, {});
  auto count = static_cast<uint32_t>(st->cfg.home_timeline_size);
  auto done = [st, user, gen, acc] {
    if (--acc->remaining == 0)
      complete_build(st, user, gen, acc->got, acc->failure);
  };
  for (auto& [idx, authors] : groups)
    self->request(
            st->region(), st->timeout, runtime::to_shard_atom::value, idx,
            caf::make_message(recent_atom::value, std::move(authors), count))
        .then(
            [acc, done](tweet_list& xs) {
              for (auto& x : xs)
                acc->got.push_back(std::move(x));
              done();
            },
            [acc, done](caf::error& err) {
              acc->failure = std::move(err);
              done();
            });
}

caf::result<std::string> read_home(caf::event_based_actor* self,
                                   const state_ptr& st, const std::string& user,
                                   uint32_t count, uint64_t max_id) {
  if (st->users.find(user) == nullptr)
    return no_user(user);
  touch(self, st, user);
  auto h = st->homes.find(user);
  if (h != nullptr && h->state == home_state::phase::built)
    return read_built(st, user, *h, count, max_id);
  auto rp = self->make_response_promise<std::string>();
  st->waiters[user].push_back(waiter{rp, count, max_id});
  if (st->builds.count(user) == 0)
    rebuild(self, st, user);
  return rp;
}

// -- the actor ----------------------------------------------------------------

/// Passivates the home timelines of users inactive for `active_days`
/// and forgets the tweets only they pointed at.
void sweep(const state_ptr& st) {
  auto now = st->deps->now_ms();
  st->homes.drop_if([&st, now](const std::string& user) {
    auto u = st->users.find(user);
    return u == nullptr || st->inactive(*u, now);
  });
  st->homes.collect_garbage();
  st->publish();
}

caf::behavior serving(caf::event_based_actor* self, state_ptr st) {
  auto every = st->cfg.sweep_interval;
  self->delayed_send(self, every, gc_atom::value);
  return {
      [self, st](user_atom, const std::string& user, const std::string& name,
                 const std::string& token_hash) {
        return create_user(self, st, user, name, token_hash);
      },
      [self, st](follow_atom, const std::string& user, const std::string& token,
                 const std::string& followee, bool notify) {
        return follow(self, st, user, token, followee, notify);
      },
      [self, st](unfollow_atom, const std::string& user,
                 const std::string& token, const std::string& followee) {
        return follow(self, st, user, token, followee, std::nullopt);
      },
      [self, st](add_follower_atom, const std::string& followee,
                 const std::string& follower, bool notify) {
        return add_follower(self, st, followee, follower, notify);
      },
      [self, st](del_follower_atom, const std::string& followee,
                 const std::string& follower) {
        return del_follower(self, st, followee, follower);
      },
      [self, st](post_atom, const std::string& user, const std::string& token,
                 std::string& status, std::vector<std::string>& media) {
        return post(self, st, user, token, status, media);
      },
      [st](user_timeline_atom, const std::string& user, uint32_t count,
           uint64_t max_id) -> caf::result<std::string> {
        if (st->users.find(user) == nullptr)
          return no_user(user);
        return render_tweets(st->users.user_timeline(user, count, max_id));
      },
      [self, st](home_timeline_atom, const std::string& user, uint32_t count,
                 uint64_t max_id) {
        return read_home(self, st, user, count, max_id);
      },
      [st](notes_atom, const std::string& user,
           uint32_t limit) -> caf::result<std::vector<notification>> {
        if (st->users.find(user) == nullptr)
          return no_user(user);
        return st->homes.notifications(user, limit);
      },
      [st](notify_atom, const std::string& user, notification& n) {
        notify(st, user, n);
      },
      [st](push_atom, const tweet_ptr& t,
           const std::vector<std::string>& followers, bool to_timeline,
           const ticket_ptr&) { push(st, t, followers, to_timeline); },
      [st](push_atom, tweet& t, const std::vector<std::string>& followers,
           bool to_timeline) {
        push(st, std::make_shared<const tweet>(std::move(t)), followers,
             to_timeline);
      },
      [st](celeb_atom, const tweet_ptr& t, const ticket_ptr&) {
        st->homes.add_celebrity_tweet(t);
      },
      [st](celeb_atom, tweet& t) {
        st->homes.add_celebrity_tweet(
            std::make_shared<const tweet>(std::move(t)));
      },
      [st](recent_atom, const std::vector<std::string>& authors,
           uint32_t count) { return st->users.recent(authors, count); },
      [st](search_atom, const std::vector<std::string>& terms, uint32_t limit) {
        return st->users.search(terms, limit);
      },
      [st](runtime::committed_atom, uint64_t seq, bool ok,
           const std::string& err) {
        // Memory is ahead of disk after a failed commit: crash, so that the
        // supervisor restarts this shard from its durable state.
        if (!st->journal.on_committed(seq, ok, err))
          throw std::runtime_error("commit failed: " + err);
      },
      [self, st, every](gc_atom) {
        sweep(st);
        self->delayed_send(self, every, gc_atom::value);
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
                          runtime::shard_context ctx, shard_deps_ptr deps) {
  auto st = std::make_shared<shard_state>(ctx, std::move(deps));
  // Home-timeline entries leave the board with the shard.
  self->attach_functor(
      [st] { st->deps->board->home_entries -= st->published_entries; });
  // Requests wait in the mailbox until the durable state is loaded.
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, ctx);
  return {
      [self, st](runtime::loaded_atom, const runtime::shard_image_ptr& image) {
        st->users.restore(*image);
        st->journal.restore(image->last_seq);
        self->set_default_handler(caf::print_and_drop);
        if (auto region = st->region())
          self->send(region, runtime::ready_atom::value,
                     st->journal.context().shard);
        self->become(serving(self, st));
      },
  };
}

} // namespace troupe::twitter
