#include "troupe/runtime/replica_set.hpp"

#include <algorithm>

#include "troupe/runtime/errors.hpp"

namespace troupe::runtime {

namespace detail {

void reply_to::send(caf::message msg) const {
  if (receiver)
    receiver->enqueue(nullptr, id.response_id(), std::move(msg), nullptr);
}

void pending_reply::arrive() {
  if (--remaining != 0 || failed)
    return;
  if (lease && (!lease->valid() || lease->id() != lease_id)) {
    // Another node may serve the shard by now (after this node's lease
    // expired in etcd): the write may be superseded, so never acknowledge.
    client.send(caf::make_message(make_error(
        errc::unavailable,
        "this node's lease expired before the write was acknowledged; "
        "it may or may not have been applied")));
    return;
  }
  client.send(std::move(reply));
}

void pending_reply::fail(caf::error err) {
  if (failed.exchange(true))
    return;
  client.send(caf::make_message(std::move(err)));
}

} // namespace detail

replica_set::replica_set() : current_(std::make_shared<const view>()) {
  // nop
}

void replica_set::set(uint64_t epoch, std::vector<std::string> backups) {
  std::vector<detail::pending_reply_ptr> released;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto next = std::make_shared<view>();
    next->epoch = epoch;
    next->backups = std::move(backups);
    auto gone = [&](const std::string& node) {
      return std::find(next->backups.begin(), next->backups.end(), node) ==
             next->backups.end();
    };
    auto keep =
        std::stable_partition(parked_.begin(), parked_.end(),
                              [&](const auto& p) { return !gone(p.first); });
    for (auto i = keep; i != parked_.end(); ++i)
      released.push_back(std::move(i->second));
    parked_.erase(keep, parked_.end());
    std::atomic_store(&current_, std::shared_ptr<const view>{std::move(next)});
  }
  for (auto& w : released)
    w->arrive();
}

bool replica_set::park(const std::string& node, detail::pending_reply_ptr w) {
  std::lock_guard<std::mutex> guard{mtx_};
  const auto& backups = std::atomic_load(&current_)->backups;
  if (std::find(backups.begin(), backups.end(), node) == backups.end())
    return false;
  parked_.emplace_back(node, std::move(w));
  return true;
}

void replica_set::fail_parked(const caf::error& why) {
  std::vector<std::pair<std::string, detail::pending_reply_ptr>> failed;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    failed.swap(parked_);
  }
  for (auto& p : failed)
    p.second->fail(why);
}

size_t replica_set::parked() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return parked_.size();
}

} // namespace troupe::runtime
