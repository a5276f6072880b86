#include "troupe/social/importer.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/social/messages.hpp"
#include "troupe/social/service.hpp"

namespace troupe::social {

namespace {

/// How long a person server may take to make one part durable.
constexpr auto part_timeout = std::chrono::seconds(30);

/// Retries of a refused part, after 100 ms, 200 ms, ... 1.6 s.
constexpr int max_retries = 5;

using id_list = std::vector<person_id>;
using part_ptr = std::shared_ptr<const id_list>;

/// One batch going through its two rounds.
struct batch_job {
  caf::response_promise rp;
  /// Parts of the second round, per person server.
  std::vector<id_list> halves;
  size_t remaining = 0;
  uint64_t new_halves = 0;
  uint64_t new_people = 0;
};

using job_ptr = std::shared_ptr<batch_job>;

struct importer_state {
  caf::actor region;
  runtime::region_status_ptr status;
  size_t shards = 0;
  uint64_t next_retry = 0;
  std::unordered_map<uint64_t, std::function<void()>> retries;
};

using importer_t = caf::stateful_actor<importer_state>;

bool retryable(const caf::error& err) {
  if (err.category() == runtime::error_category) {
    auto code = static_cast<runtime::errc>(err.code());
    return code == runtime::errc::unavailable ||
           code == runtime::errc::overloaded;
  }
  // A person server on a node that just failed, or is failing over.
  return err.category() == caf::atom("system") &&
         err != caf::sec::request_timeout;
}

void start_halves(importer_t* self, const job_ptr& job);

/// Sends one part (`atom`: so_people or so_import) to person server `idx`,
/// retrying refusals; the last reply of a round starts the next step.
template <class Atom>
void send_part(importer_t* self, job_ptr job, Atom atom, uint16_t idx,
               part_ptr part, int attempt) {
  auto on_ok = [self, job](uint64_t halves, uint64_t people) {
    job->new_halves += halves;
    job->new_people += people;
    if (--job->remaining > 0 || !job->rp.pending())
      return;
    if (std::is_same<Atom, people_atom>::value)
      start_halves(self, job);
    else
      job->rp.deliver(job->new_halves, job->new_people);
  };
  auto on_err = [self, job, atom, idx, part, attempt](caf::error& err) {
    if (!job->rp.pending())
      return;
    if (attempt >= max_retries || !retryable(err))
      return job->rp.deliver(std::move(err));
    auto id = ++self->state.next_retry;
    self->state.retries.emplace(id, [self, job, atom, idx, part, attempt] {
      send_part(self, job, atom, idx, part, attempt + 1);
    });
    self->delayed_send(self, std::chrono::milliseconds(100 << attempt),
                       retry_atom::value, id);
  };
  auto& st = self->state;
  auto local = st.status ? st.status->shard_at(idx) : caf::actor{};
  if (local)
    self->request(local, part_timeout, atom, *part).then(on_ok, on_err);
  else
    self->request(st.region, part_timeout, runtime::to_shard_atom::value, idx,
                  caf::make_message(atom, *part))
        .then(on_ok, on_err);
}

/// Sends every non-empty part of one round; returns how many.
template <class Atom>
size_t send_round(importer_t* self, const job_ptr& job, Atom atom,
                  std::vector<id_list>& parts) {
  size_t used = 0;
  for (const auto& part : parts)
    used += part.empty() ? 0 : 1;
  job->remaining = used;
  for (size_t i = 0; i < parts.size(); ++i)
    if (!parts[i].empty())
      send_part(self, job, atom, static_cast<uint16_t>(i),
                std::make_shared<const id_list>(std::move(parts[i])), 0);
  return used;
}

void start_halves(importer_t* self, const job_ptr& job) {
  if (send_round(self, job, import_atom::value, job->halves) == 0)
    job->rp.deliver(job->new_halves, job->new_people);
}

caf::result<caf::message> start_batch(importer_t* self, const id_list& pairs) {
  auto shards = self->state.shards;
  auto job = std::make_shared<batch_job>();
  job->halves.resize(shards);
  std::vector<id_list> people(shards);
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    auto a = pairs[i];
    auto b = pairs[i + 1];
    auto sa = shard_of_person(a, shards);
    auto sb = shard_of_person(b, shards);
    people[sa].push_back(a);
    people[sb].push_back(b);
    job->halves[sa].insert(job->halves[sa].end(), {a, b});
    job->halves[sb].insert(job->halves[sb].end(), {b, a});
  }
  for (auto& ids : people) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  job->rp = self->make_response_promise();
  if (send_round(self, job, people_atom::value, people) == 0)
    job->rp.deliver(uint64_t{0}, uint64_t{0});
  return job->rp;
}

caf::behavior importer(importer_t* self, caf::actor region,
                       runtime::region_status_ptr status, size_t shards) {
  self->state.region = std::move(region);
  self->state.status = std::move(status);
  self->state.shards = shards;
  return {
      [self](batch_atom, const id_list& pairs) {
        return start_batch(self, pairs);
      },
      [self](retry_atom, uint64_t id) {
        auto i = self->state.retries.find(id);
        if (i == self->state.retries.end())
          return;
        auto retry = std::move(i->second);
        self->state.retries.erase(i);
        retry();
      },
  };
}

} // namespace

caf::actor spawn_importer(caf::actor_system& sys, caf::actor region,
                          runtime::region_status_ptr status, size_t shards) {
  return sys.spawn(importer, std::move(region), std::move(status), shards);
}

} // namespace troupe::social
