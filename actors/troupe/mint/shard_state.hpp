#pragma once

#include <deque>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "troupe/mint/ledger.hpp"
#include "troupe/mint/records.hpp"
#include "troupe/mint/shard.hpp"
#include "troupe/persistence/store.hpp"
#include "troupe/runtime/shard_journal.hpp"

namespace troupe::mint {

using journal_op = persistence::journal_op;

/// A linked account and the institution ids of its transactions.
struct account_state {
  account_record rec;
  std::unordered_set<std::string> ext_ids;
  /// Its jobs, oldest first.
  std::deque<std::string> jobs;
};

/// The state of one user shard besides the ledger: accounts, jobs, and
/// the bookkeeping of ids; every change is expressed as journal ops.
struct shard_state {
  shard_state(runtime::shard_context ctx, shard_env_ptr e)
      : book(*e->sellers), journal(std::move(ctx)), env(std::move(e)) {
    // nop
  }

  ~shard_state() { env->board->users -= published_users; }

  uint16_t shard() const { return journal.context().shard; }
  int64_t now() const { return env->now(); }
  int64_t today() const { return now() / 86400; }

  /// Loads the records of a shard image (nothing is notified).
  void restore(const persistence::shard_image& image);

  /// Returns a new id `"<shard>-<n>"`.
  std::string next_id(uint64_t& counter) const;

  /// The ops storing a job / an account / a user's profile.
  journal_op job_op(const std::string& id) const;
  journal_op account_op(const std::string& id) const;
  journal_op profile_op(const user_state& u) const;

  /// Adds the ops storing `fired` notes and counts them.
  void note_ops(const std::vector<fired_note>& fired,
                std::vector<journal_op>& ops) const;

  /// The op storing `user`'s profile as active today, if that changes it
  /// (built without creating the user).
  std::optional<journal_op> activity_op(std::string_view user) const;

  /// Marks `user` active today; true if that changed the stored profile.
  bool touch(std::string_view user);

  /// Creates a queued job for `account` (in memory only).
  std::string new_job(const std::string& account, int64_t since);

  /// Drops the oldest finished jobs of `account` beyond
  /// `jobs_per_account`, adding their erasures to `ops`.
  void trim_jobs(const std::string& account, std::vector<journal_op>& ops);

  /// Publishes the user count to the board.
  void publish();

  ledger book;
  runtime::shard_journal journal;
  shard_env_ptr env;
  std::map<std::string, account_state> accounts;
  std::map<std::string, job_record> jobs;
  uint64_t accounts_made = 0;
  uint64_t jobs_made = 0;
  int64_t published_users = 0;
};

using state_ptr = std::shared_ptr<shard_state>;

/// Returns the shard index an account or job id names, nullopt if `id` is
/// not `"<shard>-<n>"`.
std::optional<uint16_t> shard_of_id(std::string_view id);

} // namespace troupe::mint
