// A shard's configuration in etcd as one region knows and changes it:
// proposals by compare-and-swap (region_etcd.cpp decides which), answers
// read back when they were lost, configurations adopted from the agent,
// other nodes and this node's own changes. See region_etcd.cpp.

#include "troupe/runtime/region_state.hpp"

#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>

#include "troupe/log.hpp"
#include "troupe/runtime/atoms.hpp"

namespace troupe::runtime::detail {

namespace {

const lease_status& my_lease(const region_state& st) {
  return *st.placement.members->lease();
}

/// How long a proposal may wait for etcd's answer.
std::chrono::milliseconds cas_timeout(const region_state& st) {
  return st.base.config->membership.lease_ttl;
}

/// Tells every other node reachable now the configuration of `idx`.
void push_config(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  const auto& c = st.etcd_shards[idx].cfg;
  auto view = st.placement.members->view();
  for (const auto& m : view->members)
    if (m.name != st.placement.self && m.up)
      tell(self, m.name, idx,
           caf::make_message(config_atom::value, c.encode(), c.revision));
}

void read_back(region_actor* self, uint16_t idx);

} // namespace

void etcd_adopt_stored(region_actor* self, uint16_t idx,
                       const std::string& json, int64_t revision) {
  if (json.empty() || revision == 0)
    return;
  std::string why;
  if (auto c = shard_config::decode(json, revision, &why))
    etcd_adopt(self, idx, std::move(*c));
  else
    log::error("failover", self->state.spec.service, "/", idx,
               ": unreadable configuration in etcd (", why, ")");
}

void etcd_propose(region_actor* self, uint16_t idx, shard_config next,
                  std::vector<std::string> must_exist,
                  std::vector<std::string> must_not_exist,
                  etcd_shard::outcome_fn done) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  es.cas_pending = true;
  auto expected = es.cfg.revision;
  auto value = next.encode();
  self->request(st.placement.agent, cas_timeout(st), cas_atom::value,
                st.keys->shard(st.spec.service, idx), expected, value,
                std::move(must_exist), std::move(must_not_exist))
      .then(
          [self, idx, next, done](bool ok, int64_t revision,
                                  const std::string& current) mutable {
            self->state.etcd_shards[idx].cas_pending = false;
            if (ok && self->state.config_changes != nullptr)
              self->state.config_changes->inc();
            if (ok) {
              next.revision = revision;
              etcd_adopt(self, idx, std::move(next));
              push_config(self, idx);
            } else {
              etcd_adopt_stored(self, idx, current, revision);
            }
            done(self, idx, ok);
          },
          [self, idx, expected, value, done](caf::error& err) {
            log::warning("failover", self->state.spec.service, "/", idx,
                         ": a configuration change may or may not have been "
                         "applied (",
                         caf::to_string(err), "); reading it back");
            auto& es = self->state.etcd_shards[idx];
            es.unknown = etcd_shard::unknown_outcome{expected, value, done};
            read_back(self, idx);
          });
}

namespace {

/// Reads the configuration of `idx` back from etcd after a proposal whose
/// answer was lost, until etcd answers: the shard stays paused until then.
void read_back(region_actor* self, uint16_t idx) {
  auto& st = self->state;
  // Expecting revision -1 never matches: a pure read.
  self->request(st.placement.agent, cas_timeout(st), cas_atom::value,
                st.keys->shard(st.spec.service, idx), int64_t{-1},
                std::string{}, std::vector<std::string>{},
                std::vector<std::string>{})
      .then(
          [self, idx](bool, int64_t revision, const std::string& current) {
            auto& es = self->state.etcd_shards[idx];
            if (!es.unknown)
              return;
            auto pending = std::move(*es.unknown);
            es.unknown.reset();
            es.cas_pending = false;
            etcd_adopt_stored(self, idx, current, revision);
            bool applied =
                revision != pending.expected && current == pending.proposed;
            if (applied)
              push_config(self, idx);
            pending.done(self, idx, applied);
          },
          [self, idx](caf::error&) {
            self->delayed_send(
                self, self->state.base.config->membership.heartbeat_interval,
                cas_atom::value, idx);
          });
}

} // namespace

void etcd_retry_read_back(region_actor* self, uint16_t idx) {
  if (idx < self->state.etcd_shards.size() &&
      self->state.etcd_shards[idx].unknown)
    read_back(self, idx);
}

namespace {

/// Publishes the configurations for /api/v1/cluster and the dashboard.
void publish_configs(region_state& st) {
  region_status::config_views views;
  for (const auto& es : st.etcd_shards)
    views.push_back({es.cfg.epoch, es.cfg.primary, es.cfg.replicas});
  st.status->publish_configs(std::move(views));
}

} // namespace

bool etcd_adopt(region_actor* self, uint16_t idx, shard_config cfg) {
  auto& st = self->state;
  auto& es = st.etcd_shards[idx];
  if (cfg.revision <= es.cfg.revision)
    return false;
  es.cfg = std::move(cfg);
  publish_configs(st);
  auto& drop = es.drop;
  drop.erase(std::remove_if(drop.begin(), drop.end(),
                            [&](const std::string& name) {
                              return !es.cfg.has_replica(name);
                            }),
             drop.end());
  if (st.roles[idx] == shard_role::primary &&
      es.cfg.primary == st.placement.self &&
      es.cfg.lease == my_lease(st).id()) {
    st.epochs[idx] = es.cfg.epoch;
    es.replicas->set(es.cfg.epoch, st.spec.replicated
                                       ? es.cfg.backups()
                                       : std::vector<std::string>{});
  }
  return true;
}

} // namespace troupe::runtime::detail
