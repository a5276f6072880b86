#include "troupe/cache/shard.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/skip.hpp>

#include "troupe/cache/lru_table.hpp"
#include "troupe/cache/snapshot.hpp"
#include "troupe/log.hpp"
#include "troupe/persistence/group_committer.hpp"
#include "troupe/persistence/lmdb_env.hpp"
#include "troupe/persistence/store.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_map.hpp"

namespace troupe::cache {

void shard_board::publish(size_t idx, const cache_stats& x) {
  auto& c = cells_[idx];
  constexpr auto relaxed = std::memory_order_relaxed;
  c.entries.store(x.entries, relaxed);
  c.bytes.store(x.bytes, relaxed);
  c.capacity_bytes.store(x.capacity_bytes, relaxed);
  c.hits.store(x.hits, relaxed);
  c.misses.store(x.misses, relaxed);
  c.evictions.store(x.evictions, relaxed);
  c.expired.store(x.expired, relaxed);
}

cache_stats shard_board::total() const {
  cache_stats sum;
  for (const auto& c : cells_)
    sum += cache_stats{c.entries.load(), c.bytes.load(),  c.capacity_bytes,
                       c.hits.load(),    c.misses.load(), c.evictions.load(),
                       c.expired.load()};
  return sum;
}

namespace {

using runtime::errc;
using runtime::make_error;

/// The LMDB database holding one snapshot blob per shard.
constexpr const char* snapshot_db = "cache.snapshot";

/// Adaptive expiry: a tick that found this share of expired entries or
/// more runs another step right away (still one bounded step per message).
constexpr size_t busy_sweep_ratio = 4;

/// Returns the key of shard `idx`'s snapshot.
std::string snapshot_key(size_t idx) {
  return "shard/" + std::to_string(idx);
}

using sweep_more_atom = caf::atom_constant<caf::atom("sweep_more")>;

struct shard_state {
  shard_state(runtime::shard_context c, uint64_t capacity, clock_fn f,
              shard_board_ptr b)
      : table(capacity), ctx(std::move(c)), now(std::move(f)),
        board(std::move(b)) {
    // nop
  }
  lru_table table;
  runtime::shard_context ctx;
  clock_fn now;
  shard_board_ptr board;

  const config::cache_settings& cfg() const { return ctx.config->cache; }

  std::string snapshot_key() const { return cache::snapshot_key(ctx.shard); }

  const cache_stats& stats() const { return table.stats(); }
};

using state_ptr = std::shared_ptr<shard_state>;

caf::error check_put(const shard_state& st, const std::string& key,
                     const std::string& value) {
  if (key.empty() || key.size() > max_key_bytes)
    return make_error(errc::invalid_argument,
                      "key must be 1 to " + std::to_string(max_key_bytes) +
                          " bytes");
  if (value.size() > st.cfg().max_value_bytes)
    return make_error(errc::payload_too_large,
                      "value exceeds " +
                          std::to_string(st.cfg().max_value_bytes) + " bytes");
  return {};
}

caf::result<ok_atom> put(shard_state& st, const std::string& key,
                         const std::string& value, uint32_t ttl_seconds) {
  if (auto err = check_put(st, key, value))
    return err;
  auto now = st.now();
  auto expires_at = ttl_seconds == 0 ? 0 : now + int64_t{ttl_seconds} * 1000;
  if (!st.table.set(key, value, expires_at, now))
    return make_error(
        errc::payload_too_large,
        "an entry of " +
            std::to_string(lru_table::charge_of(key.size(), value.size())) +
            " bytes exceeds the shard's budget of " +
            std::to_string(st.table.stats().capacity_bytes) + " bytes");
  return ok_atom::value;
}

void sweep_step(caf::event_based_actor* self, shard_state& st) {
  auto res = st.table.sweep(st.now(), st.cfg().sweep_buckets_per_tick);
  st.board->publish(st.ctx.shard, st.stats());
  if (res.removed > 0 && res.removed * busy_sweep_ratio >= res.examined)
    self->send(self, sweep_more_atom::value);
}

/// Encodes the table and hands the blob to the committer thread.
void write_snapshot(shard_state& st) {
  auto blob =
      std::make_shared<std::string>(encode_snapshot(st.table, st.now()));
  auto* env = &st.ctx.store->env();
  st.ctx.committer->submit_task([env, blob, key = st.snapshot_key()] {
    auto dbi = env->open_db(snapshot_db);
    persistence::lmdb_txn txn{*env, persistence::lmdb_txn::mode::write};
    txn.put(dbi, key, *blob);
    txn.commit();
  });
}

caf::behavior serving(caf::event_based_actor* self, state_ptr st) {
  self->delayed_send(self, st->cfg().sweep_interval, sweep_atom::value);
  if (st->cfg().snapshot)
    self->delayed_send(self, st->cfg().snapshot_interval, snapshot_atom::value);
  st->board->publish(st->ctx.shard, st->stats());
  return {
      [st](get_atom, const std::string& key) -> caf::result<std::string> {
        if (auto value = st->table.get(key, st->now()))
          return std::string{*value};
        return make_error(errc::not_found, "no cache entry with this key");
      },
      [st](put_atom, const std::string& key, const std::string& value,
           uint32_t ttl_seconds) { return put(*st, key, value, ttl_seconds); },
      [st](delete_atom, const std::string& key) -> caf::result<ok_atom> {
        if (st->table.erase(key, st->now()))
          return ok_atom::value;
        return make_error(errc::not_found, "no cache entry with this key");
      },
      [st](stats_atom) { return st->stats(); },
      [self, st](sweep_atom) {
        sweep_step(self, *st);
        self->delayed_send(self, st->cfg().sweep_interval, sweep_atom::value);
      },
      [self, st](sweep_more_atom) { sweep_step(self, *st); },
      [self, st](snapshot_atom) {
        write_snapshot(*st);
        self->delayed_send(self, st->cfg().snapshot_interval,
                           snapshot_atom::value);
      },
      [st](runtime::flush_atom) {
        // The node flushes the committer after every shard answered, so
        // the snapshot queued here is on disk before the node stops.
        if (st->cfg().snapshot)
          write_snapshot(*st);
        return runtime::flush_atom::value;
      },
      [](runtime::crash_atom) -> caf::result<void> {
        throw std::runtime_error("injected fault");
      },
  };
}

/// Reads this shard's snapshot on the committer thread and sends it as
/// `(loaded, blob)`. With snapshots off, deletes a stale one instead, so
/// that turning them on later never brings back overwritten values (a
/// supervised restart also starts empty, see `shard_board::first_start`).
void load_snapshot_async(caf::event_based_actor* self, const shard_state& st) {
  auto dest = caf::actor_cast<caf::actor>(self);
  auto* env = &st.ctx.store->env();
  bool enabled = st.cfg().snapshot && st.board->first_start(st.ctx.shard);
  st.ctx.committer->submit_task([dest, env, enabled, key = st.snapshot_key()] {
    auto dbi = env->open_db(snapshot_db);
    std::string blob;
    {
      persistence::lmdb_txn txn{*env, persistence::lmdb_txn::mode::read};
      blob = txn.get(dbi, key).value_or("");
    }
    if (!enabled && !blob.empty()) {
      persistence::lmdb_txn txn{*env, persistence::lmdb_txn::mode::write};
      txn.del(dbi, key);
      txn.commit();
      blob.clear();
    }
    caf::anon_send(dest, runtime::loaded_atom::value, std::move(blob));
  });
}

void restore(shard_state& st, const std::string& blob) {
  if (blob.empty())
    return;
  auto idx = st.ctx.shard;
  auto shards = st.cfg().shards;
  auto res = restore_snapshot(blob, st.now(), st.table, [&](auto key) {
    return runtime::shard_of(key, shards) == idx;
  });
  if (!res.error.empty())
    log::warning("cache", "shard ", idx,
                 ": snapshot ignored, starting cold: ", res.error);
  else
    log::debug("cache", "shard ", idx, ": restored ", res.restored,
               " entries (", res.expired, " expired while down)");
}

} // namespace

void drop_snapshots_beyond(runtime::shard_context ctx, size_t shards) {
  auto* env = &ctx.store->env();
  ctx.committer->submit_task([env, shards] {
    auto dbi = env->open_db(snapshot_db);
    std::vector<std::string> stale;
    persistence::lmdb_txn txn{*env, persistence::lmdb_txn::mode::write};
    txn.for_each(dbi, "shard/", [&](std::string_view key, std::string_view) {
      auto idx = std::strtoull(std::string{key.substr(6)}.c_str(), nullptr, 10);
      if (idx >= shards || key != snapshot_key(idx))
        stale.emplace_back(key);
      return true;
    });
    for (const auto& key : stale)
      txn.del(dbi, key);
    txn.commit();
    if (!stale.empty())
      log::info("cache", "dropped ", stale.size(),
                " snapshots of shards beyond cache.shards = ", shards);
  });
}

caf::behavior shard_actor(caf::event_based_actor* self,
                          runtime::shard_context ctx, uint64_t capacity,
                          clock_fn now, shard_board_ptr board) {
  auto st = std::make_shared<shard_state>(std::move(ctx), capacity,
                                          std::move(now), std::move(board));
  // Requests wait in the mailbox until the snapshot is loaded.
  self->set_default_handler(caf::skip);
  load_snapshot_async(self, *st);
  return {
      [self, st](runtime::loaded_atom, const std::string& blob) {
        restore(*st, blob);
        self->set_default_handler(caf::print_and_drop);
        if (auto region = caf::actor_cast<caf::actor>(st->ctx.region))
          self->send(region, runtime::ready_atom::value, st->ctx.shard);
        self->become(serving(self, st));
      },
  };
}

} // namespace troupe::cache
