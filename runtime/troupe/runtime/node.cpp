#include "troupe/runtime/node.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "troupe/log.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/persistence/lmdb_env.hpp"
#include "troupe/persistence/store.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/etcd_agent.hpp"
#include "troupe/runtime/stats_actors.hpp"

namespace troupe::runtime {

namespace {

std::vector<std::string> member_names(const config::node_config& cfg) {
  std::vector<std::string> names;
  for (const auto& n : cfg.nodes)
    names.push_back(n.name);
  return names;
}

std::unique_ptr<caf::actor_system_config>
make_system_config(const config::node_config& cfg,
                   const node::customize_fn& customize) {
  auto result = std::make_unique<caf::actor_system_config>();
  result->set("scheduler.max-threads", cfg.runtime.scheduler_threads);
  result->set("scheduler.policy",
              caf::atom_from_string(cfg.runtime.scheduler_policy));
  if (cfg.nodes.size() > 1) {
    result->load<caf::io::middleman>();
    // CAF closes a connection that stayed silent this long. Without it a
    // connection cut by a partition stays open, and after the heal traffic
    // waits for TCP's retransmission back-off (seconds); with it the nodes
    // reconnect on the next heartbeat.
    result->set("middleman.heartbeat-interval",
                caf::timespan{cfg.membership.heartbeat_interval});
    result->set("middleman.connection-timeout",
                caf::timespan{cfg.membership.failure_timeout});
  }
  if (customize)
    customize(*result);
  return result;
}

} // namespace

node::node(config::node_config cfg, customize_fn customize)
    : cfg_(std::move(cfg)),
      placement_(member_names(cfg_), cfg_.replication_factor),
      sys_cfg_(make_system_config(cfg_, customize)),
      system_(std::make_unique<caf::actor_system>(*sys_cfg_)) {
  // nop
}

node::~node() {
  stop();
}

std::string node::start() {
  const auto& self = cfg_.self_entry();
  if (auto err = lock_data_dir(self.data_dir); !err.empty())
    return err;
  try {
    env_ = std::make_unique<persistence::lmdb_env>(
        self.data_dir, cfg_.persistence.map_size_mb, cfg_.persistence.level);
  } catch (const std::exception& ex) {
    return "cannot open data dir '" + self.data_dir + "': " + ex.what();
  }
  committer_ =
      std::make_unique<persistence::group_committer>(*env_, cfg_.persistence);
  committer_->start();
  if (cfg_.nodes.size() > 1) {
    bool etcd = cfg_.membership.source == config::membership_source::etcd;
    auto lease = etcd ? std::make_shared<lease_status>() : nullptr;
    members_ = std::make_shared<membership_status>(initial_view(cfg_), lease);
    auto started = start_membership(*system_, cfg_, members_);
    if (!started.error.empty())
      return started.error;
    membership_ = std::move(started.actor);
    if (etcd)
      agent_ = start_etcd_agent(*system_, cfg_, lease, membership_);
    else
      log::warning("node", "static membership with ", cfg_.nodes.size(),
                   " nodes is not partition-safe: a network partition can "
                   "lose acknowledged writes; use [membership] source = "
                   "\"etcd\" (docs/design.md, \"Partition safety\")");
  }
  register_collectors();
  start_stats();
  log::info("node", "node ", cfg_.self, " of cluster ", cfg_.cluster,
            " started: data in ", self.data_dir, ", durability ",
            config::to_string(cfg_.persistence.level), ", ",
            cfg_.runtime.scheduler_threads, " scheduler threads");
  return {};
}

void node::start_stats() {
  const auto& rt = cfg_.runtime;
  size_t capacity = 0;
  if (rt.stats_interval.count() > 0)
    capacity = static_cast<size_t>(std::max<int64_t>(
        1, rt.stats_history_s * 1000 / rt.stats_interval.count()));
  stats_ = std::make_shared<stats_history>(cfg_.self, capacity);
  if (capacity > 0)
    manage(spawn_stats_sampler(*system_, this, stats_, rt.stats_interval));
  stats_front_ = spawn_stats_front(*system_, this, stats_);
  manage(stats_front_);
}

std::string node::lock_data_dir(const std::string& dir) {
  // Shard state lives in this process's memory: a second process on the
  // same LMDB files would diverge from it, so one node owns a data dir.
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return "cannot create data dir '" + dir + "': " + ec.message();
  auto path = dir + "/troupe.lock";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0)
    return "cannot open '" + path + "': " + std::strerror(errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
    return "data dir '" + dir + "' is in use by another troupe process";
  return {};
}

persistence::store& node::store(const std::string& service) {
  auto& ptr = stores_[service];
  if (!ptr)
    ptr = std::make_unique<persistence::store>(*env_, service);
  return *ptr;
}

caf::actor node::start_region(region_spec spec) {
  auto status = std::make_shared<region_status>(spec.service, spec.shards);
  shard_context base;
  base.service = spec.service;
  base.store = &store(spec.service);
  base.committer = committer_.get();
  base.config = &cfg_;
  base.metrics = &metrics_;
  auto name = spec.service;
  status->key_of = spec.key_of;
  status->members = members_;
  if (members_)
    for (uint16_t i = 0; i < spec.shards; ++i)
      status->owners.push_back(placement_.owners(spec.service, i));
  region_placement where{cfg_.self, &placement_, members_, agent_};
  auto handle = spawn_region(*system_, std::move(spec), std::move(base), status,
                             std::move(where));
  status->region = handle.address();
  if (membership_)
    caf::anon_send(membership_, subscribe_atom::value, name, handle, status);
  if (agent_)
    caf::anon_send(agent_, subscribe_atom::value, name, handle);
  regions_[name] = handle;
  std::lock_guard<std::mutex> guard{statuses_mtx_};
  statuses_.push_back(std::move(status));
  return handle;
}

caf::actor node::start_virtual(virtual_spec spec) {
  const auto& rt = cfg_.runtime;
  if (spec.passivate_after.count() <= 0)
    spec.passivate_after = rt.passivate_after;
  if (spec.max_restarts < 0)
    spec.max_restarts = rt.max_restarts;
  if (spec.restart_period.count() <= 0)
    spec.restart_period = rt.restart_period;
  if (spec.active_gauge == nullptr)
    spec.active_gauge = &metrics_.gauge("troupe_virtual_actors_active",
                                        "Virtual actors activated, by kind",
                                        {{"kind", spec.kind}});
  auto handle = spawn_virtual_host(*system_, std::move(spec));
  hosts_.push_back(handle);
  return handle;
}

caf::actor node::region(const std::string& service) const {
  auto i = regions_.find(service);
  return i != regions_.end() ? i->second : caf::actor{};
}

bool node::ready() const {
  if (members_ && !members_->quorum())
    return false;
  for (const auto& s : statuses_)
    if (!s->ready())
      return false;
  return true;
}

std::vector<region_status_ptr> node::regions() const {
  std::lock_guard<std::mutex> guard{statuses_mtx_};
  return statuses_;
}

void node::register_collectors() {
  auto* committer = committer_.get();
  auto* sys = system_.get();
  metrics_.add_collector([this, committer, sys](metrics_registry& reg) {
    reg.gauge("troupe_lmdb_bytes", "Bytes of the LMDB map in use")
        .set(static_cast<double>(committer->used_bytes()));
    reg.gauge("troupe_commit_queue_depth", "Writes waiting for group commit")
        .set(static_cast<double>(committer->queue_depth()));
    reg.gauge("troupe_commits", "LMDB write transactions committed")
        .set(static_cast<double>(committer->commits()));
    reg.gauge("troupe_journal_entries", "Journal entries committed")
        .set(static_cast<double>(committer->entries_committed()));
    reg.gauge("troupe_fsyncs", "Syncs to disk")
        .set(static_cast<double>(committer->fsyncs()));
    reg.gauge("troupe_fsync_seconds", "Seconds spent in syncs to disk")
        .set(committer->sync_seconds());
    reg.gauge("troupe_actors_alive", "Actors running in this node")
        .set(static_cast<double>(sys->registry().running()));
    if (members_) {
      auto view = members_->view();
      for (const auto& m : view->members)
        reg.gauge("troupe_member_up", "1 if this node sees the member up",
                  {{"node", m.name}})
            .set(m.up ? 1 : 0);
      reg.gauge("troupe_quorum",
                "1 if this node may serve: it holds a valid lease in etcd "
                "(static: it sees a majority of the nodes)")
          .set(members_->quorum() ? 1 : 0);
    }
    for (const auto& st : regions()) {
      metric_labels labels{{"service", st->service}};
      reg.gauge("troupe_shard_restarts", "Shard restarts by the supervisor",
                labels)
          .set(static_cast<double>(st->restarts.load()));
      reg.gauge("troupe_shard_escalations",
                "Shards stopped after too many crashes", labels)
          .set(static_cast<double>(st->escalations.load()));
      size_t up = 0;
      for (const auto& s : st->states)
        up += s.load() == region_status::up ? 1 : 0;
      reg.gauge("troupe_replica_entries",
                "Journal entries persisted here as a backup", labels)
          .set(static_cast<double>(st->replica_entries.load()));
      reg.gauge("troupe_shards_up", "Shards loaded and serving", labels)
          .set(static_cast<double>(up));
    }
  });
}

void node::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  if (committer_) {
    // Let every shard persist its buffers (e.g. visit counters), then
    // commit and sync everything queued.
    caf::scoped_actor self{*system_};
    for (auto& [name, handle] : regions_)
      self->request(handle, caf::infinite, flush_atom::value)
          .receive([](flush_atom) {},
                   [&](caf::error& err) {
                     log::warning("node", "flush of ", name,
                                  " failed: ", system_->render(err));
                   });
    committer_->flush();
  }
  if (agent_) {
    // Gives the lease back: the other nodes take this node's shards over
    // at once instead of after the lease's TTL.
    caf::scoped_actor self{*system_};
    self->request(agent_, caf::infinite, revoke_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
    caf::anon_send_exit(agent_, caf::exit_reason::user_shutdown);
    agent_ = nullptr;
  }
  for (auto& [name, handle] : regions_)
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  for (auto& handle : hosts_)
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  if (membership_)
    caf::anon_send_exit(membership_, caf::exit_reason::user_shutdown);
  membership_ = nullptr;
  regions_.clear();
  hosts_.clear();
  for (auto& status : statuses_)
    status->publish({});
  system_->await_all_actors_done();
  if (committer_)
    committer_->stop();
  committer_.reset();
  stores_.clear();
  env_.reset();
  if (lock_fd_ >= 0)
    ::close(lock_fd_); // releases the flock
  lock_fd_ = -1;
  log::info("node", "node ", cfg_.self, " stopped");
}

} // namespace troupe::runtime
