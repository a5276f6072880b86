#include "troupe/twitter/fanout.hpp"

#include <string>
#include <vector>

#include <caf/skip.hpp>

#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/shard_map.hpp"
#include "troupe/twitter/messages.hpp"

namespace troupe::twitter {

namespace {

struct targets {
  caf::actor region;
  runtime::region_status_ptr status;
  size_t shards;
};

/// Sends `local()` to shard `idx` when it runs here (no copy of the
/// tweet), else `remote()` through the region.
template <class Local, class Remote>
void send_to_shard(caf::event_based_actor* self, const targets& to,
                   uint16_t idx, Local local, Remote remote) {
  bool quorum = !to.status->members || to.status->members->quorum();
  if (auto shard = quorum ? to.status->shard_at(idx) : caf::actor{})
    self->send(shard, local());
  else
    self->send(to.region, runtime::to_shard_atom::value, idx, remote());
}

void fan_out(caf::event_based_actor* self, const targets& to,
             const tweet_ptr& t, std::vector<std::string>& followers,
             bool celebrity, std::vector<std::string>& mentioned,
             const ticket_ptr& ticket) {
  std::vector<std::vector<std::string>> groups(to.shards);
  for (auto& f : followers)
    groups[runtime::shard_of(f, to.shards)].push_back(std::move(f));
  bool to_timeline = !celebrity;
  for (uint16_t i = 0; i < to.shards; ++i) {
    if (celebrity)
      send_to_shard(
          self, to, i,
          [&] { return caf::make_message(celeb_atom::value, t, ticket); },
          [&] { return caf::make_message(celeb_atom::value, *t); });
    auto& group = groups[i];
    if (group.empty())
      continue;
    send_to_shard(
        self, to, i,
        [&] {
          return caf::make_message(push_atom::value, t, std::move(group),
                                   to_timeline, ticket);
        },
        [&] {
          return caf::make_message(push_atom::value, *t, std::move(group),
                                   to_timeline);
        });
  }
  for (auto& user : mentioned) {
    notification n{t->id, t->user_id, static_cast<uint8_t>(note_kind::mention)};
    auto dest = to.status->route(user, to.region);
    self->send(dest, notify_atom::value, std::move(user), std::move(n));
  }
}

} // namespace

caf::behavior fanout_actor(caf::event_based_actor* self, size_t shards) {
  self->set_default_handler(caf::skip);
  return {
      [self, shards](region_atom, const caf::actor& region,
                     const runtime::region_status_ptr& status) {
        self->set_default_handler(caf::print_and_drop);
        targets to{region, status, shards};
        self->become([self, to](fanout_atom, const tweet_ptr& t,
                                std::vector<std::string>& followers,
                                bool celebrity,
                                std::vector<std::string>& mentioned,
                                const ticket_ptr& ticket) {
          fan_out(self, to, t, followers, celebrity, mentioned, ticket);
        });
      },
  };
}

} // namespace troupe::twitter
