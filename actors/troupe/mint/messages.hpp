#pragma once

#include <caf/atom.hpp>

/// Messages of Mint.
///
/// Region "mint" of user shards keyed by user id: a user's shard holds the
/// user, the accounts the user linked, their extraction jobs, transactions,
/// spending, budgets and notifications. Account and job ids name their
/// shard (`"<shard>-<n>"`), so requests for them go `(to_shard, idx, msg)`.
/// Replies are rendered JSON (`std::string`) unless said otherwise; errors
/// are `troupe::runtime::errc` values (not_found for unknown users,
/// accounts, transactions and jobs).
///
/// keyed by user (element 1):
/// - `(mint_link, user, url, login, sealed_password)` -> (account id, job
///   id): links the account and queues its first extraction. The password
///   arrives sealed (crypto.hpp, the user id as associated data): it never
///   crosses nodes in clear.
/// - `(mint_txns, user, month, limit)`, `(mint_spend, user, month)`,
///   `(mint_bget, user, month)`, `(mint_notes, user, limit)`: the lists of
///   the API (`month` = YYYYMM).
/// - `(mint_scat, user, txn_id, category)` -> the seller key the override
///   votes for (empty: no vote); `(mint_inc, user, cents)`,
///   `(mint_bset, user, category, cents)` -> `mint_ok`.
///
/// by shard index:
/// - `(mint_imp, batch)` -> `uint64_t` imported (`batch`: an encoded
///   `txn_batch`, journaled as it is).
/// - `(mint_rfsh, account_id)` -> job id; `(mint_job, job_id)` -> the job.
/// - `(mint_extr, job_id, batch)` from an extraction worker -> `mint_ok`;
///   `(mint_jst, job_id, status, attempts, error)` its progress.
/// - `(mint_crowd, seller_key, category)` from the seller region -> `mint_ok`.
///
/// Region "mint_sellers" keyed by seller key (element 1):
/// - `(mint_vote, seller_key, voter, category)` -> `mint_ok`: one vote per
///   voter (user and transaction); a changed winner is sent to every user
///   shard as `mint_crowd`.
namespace troupe::mint {

using link_atom = caf::atom_constant<caf::atom("mint_link")>;
using txns_atom = caf::atom_constant<caf::atom("mint_txns")>;
using spend_atom = caf::atom_constant<caf::atom("mint_spend")>;
using budget_get_atom = caf::atom_constant<caf::atom("mint_bget")>;
using notes_atom = caf::atom_constant<caf::atom("mint_notes")>;
using set_category_atom = caf::atom_constant<caf::atom("mint_scat")>;
using income_atom = caf::atom_constant<caf::atom("mint_inc")>;
using budget_set_atom = caf::atom_constant<caf::atom("mint_bset")>;
using import_atom = caf::atom_constant<caf::atom("mint_imp")>;
using refresh_atom = caf::atom_constant<caf::atom("mint_rfsh")>;
using job_atom = caf::atom_constant<caf::atom("mint_job")>;
using extracted_atom = caf::atom_constant<caf::atom("mint_extr")>;
using job_state_atom = caf::atom_constant<caf::atom("mint_jst")>;
using crowd_atom = caf::atom_constant<caf::atom("mint_crowd")>;
using vote_atom = caf::atom_constant<caf::atom("mint_vote")>;
using ok_atom = caf::atom_constant<caf::atom("mint_ok")>;
/// Local: timers of shards, the extraction pool and its workers.
using tick_atom = caf::atom_constant<caf::atom("mint_tick")>;
using enqueue_atom = caf::atom_constant<caf::atom("mint_enq")>;
using fetched_atom = caf::atom_constant<caf::atom("mint_fetch")>;
using worker_done_atom = caf::atom_constant<caf::atom("mint_wdone")>;
using retry_atom = caf::atom_constant<caf::atom("mint_retry")>;

} // namespace troupe::mint
