#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "troupe/mint/shard_state.hpp"

/// The extraction side of a user shard: linking, refreshes, job progress,
/// pulled transactions and the daily scheduler.
namespace troupe::mint::jobs {

/// Links an account and queues its first pull; answers the account id and
/// the job id.
caf::result<caf::message> link(caf::event_based_actor* self,
                               const state_ptr& st, const std::string& user,
                               const std::string& url, const std::string& login,
                               const std::string& sealed_for_user);

/// Queues a pull of an account; answers the job id.
caf::result<std::string> refresh(caf::event_based_actor* self,
                                 const state_ptr& st,
                                 const std::string& account);

/// Records a worker's report on a job.
void on_state(caf::event_based_actor* self, const state_ptr& st,
              const std::string& job, const std::string& status,
              uint32_t attempts, const std::string& error);

/// Applies pulled transactions (those of ids already stored are skipped)
/// and finishes the job.
caf::result<caf::message> on_extracted(caf::event_based_actor* self,
                                       const state_ptr& st,
                                       const std::string& job,
                                       const std::string& batch);

/// Queues the daily refreshes that are due and the jobs that got stuck
/// (all unfinished ones when `resume`, after loading).
void schedule(caf::event_based_actor* self, const state_ptr& st, bool resume);

} // namespace troupe::mint::jobs
