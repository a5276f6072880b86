#include "troupe/http/bridge.hpp"

#include <deque>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_companion.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <caf/sec.hpp>

#include "troupe/http/deadlines.hpp"
#include "troupe/runtime/errors.hpp"

namespace troupe::http {

using clock_type = std::chrono::steady_clock;

struct bridge::impl {
  struct entry {
    std::shared_ptr<void> keep; // outlives `f`
    reply_fn f;
  };

  impl(caf::actor_system& sys, post_fn post_fun)
      : dummy(&sys), post(std::move(post_fun)) {
    // nop
  }

  caf::scoped_execution_unit dummy;
  post_fn post;
  detour_fn detour;
  caf::strong_actor_ptr companion;
  caf::actor_companion* self = nullptr;
  std::thread::id owner;
  uint64_t next_id = 1;
  bool down = false;
  std::unordered_map<uint64_t, entry> pending;
  // Replies handed over by CAF threads, drained on the I/O thread. One post
  // per batch: while a drain is scheduled, further replies only queue up.
  std::mutex inbox_mtx;
  std::vector<caf::mailbox_element_ptr> inbox;
  bool drain_scheduled = false;
  // Drained batch, reused to keep its capacity.
  std::vector<caf::mailbox_element_ptr> batch;
  // Lazy deletion: ids answered before their deadline stay here until then.
  deadline_queues deadlines;

  void send(const caf::strong_actor_ptr& dest, caf::message msg,
            std::chrono::milliseconds timeout, reply_fn f,
            std::shared_ptr<void> keep) {
    if (down) {
      f(runtime::make_error(runtime::errc::unavailable,
                            "server shutting down"));
      return;
    }
    if (!dest) {
      f(caf::make_error(caf::sec::request_receiver_down));
      return;
    }
    if (detour && detour(dest, msg, timeout, f, keep))
      return;
    auto id = next_id++ & caf::message_id::request_id_mask;
    if (id == 0)
      id = next_id++;
    auto mid = caf::make_message_id<caf::message_priority::normal>(id);
    pending.emplace(id, entry{std::move(keep), std::move(f)});
    deadlines.add(timeout, clock_type::now() + timeout, id);
    dest->enqueue(caf::make_mailbox_element(companion, mid, {}, std::move(msg)),
                  nullptr);
  }

  void handle(caf::mailbox_element& e) {
    if (!e.mid.is_response())
      return; // not a reply: nothing else is addressed to the companion
    auto i = pending.find(e.mid.request_id().integer_value());
    if (i == pending.end())
      return; // timed out already
    // `keep` outlives `f`.
    auto keep = std::move(i->second.keep);
    auto f = std::move(i->second.f);
    pending.erase(i);
    auto msg = e.move_content_to_message();
    if (msg.match_elements<caf::error>())
      f(std::move(msg.get_mutable_as<caf::error>(0)));
    else
      f(std::move(msg));
  }

  /// Queues `ptr` (CAF thread); returns whether a drain must be posted.
  bool push(caf::mailbox_element_ptr ptr) {
    std::lock_guard<std::mutex> guard{inbox_mtx};
    inbox.push_back(std::move(ptr));
    if (drain_scheduled)
      return false;
    drain_scheduled = true;
    return true;
  }

  /// Handles every queued reply (I/O thread).
  void drain() {
    {
      std::lock_guard<std::mutex> guard{inbox_mtx};
      batch.swap(inbox);
      drain_scheduled = false;
    }
    for (auto& ptr : batch)
      if (!down)
        handle(*ptr);
    batch.clear();
  }

  void tick() {
    deadlines.expire(clock_type::now(), [this](uint64_t id) {
      auto i = pending.find(id);
      if (i == pending.end())
        return; // answered already
      auto keep = std::move(i->second.keep);
      auto f = std::move(i->second.f);
      pending.erase(i);
      f(caf::make_error(caf::sec::request_timeout));
    });
  }
};

bridge::bridge(caf::actor_system& sys, post_fn post)
    : impl_(std::make_shared<impl>(sys, std::move(post))) {
  auto hdl = sys.spawn<caf::actor_companion>();
  impl_->companion = caf::actor_cast<caf::strong_actor_ptr>(hdl);
  impl_->self = static_cast<caf::actor_companion*>(
      caf::actor_cast<caf::abstract_actor*>(hdl));
  std::weak_ptr<impl> weak = impl_;
  auto post_fun = impl_->post;
  impl_->self->on_enqueue([weak, post_fun](caf::mailbox_element_ptr ptr) {
    // Runs on a CAF thread: hop over to the I/O thread.
    auto st = weak.lock();
    if (!st || !st->push(std::move(ptr)))
      return;
    post_fun([weak] {
      if (auto st = weak.lock())
        st->drain();
    });
  });
}

bridge::~bridge() {
  shutdown();
}

void bridge::bind_to_this_thread() {
  impl_->owner = std::this_thread::get_id();
}

void bridge::request(const caf::strong_actor_ptr& dest, caf::message msg,
                     std::chrono::milliseconds timeout, reply_fn f,
                     std::shared_ptr<void> keep) {
  if (std::this_thread::get_id() == impl_->owner) {
    impl_->send(dest, std::move(msg), timeout, std::move(f), std::move(keep));
    return;
  }
  std::weak_ptr<impl> weak = impl_;
  impl_->post([weak, dest, msg, timeout, f, keep]() mutable {
    if (auto st = weak.lock())
      st->send(dest, std::move(msg), timeout, std::move(f), std::move(keep));
  });
}

void bridge::set_detour(detour_fn f) {
  impl_->detour = std::move(f);
}

void bridge::tick() {
  impl_->tick();
}

size_t bridge::pending() const {
  return impl_->pending.size();
}

void bridge::shutdown() {
  auto& st = *impl_;
  if (st.down)
    return;
  st.down = true;
  if (st.self != nullptr) {
    st.self->on_enqueue([](caf::mailbox_element_ptr) {});
    st.self->cleanup(caf::error{}, &st.dummy);
    st.self = nullptr;
    st.companion.reset();
  }
  auto pending = std::move(st.pending);
  st.pending.clear();
  for (auto& kvp : pending)
    kvp.second.f(runtime::make_error(runtime::errc::unavailable,
                                     "server shutting down"));
}

} // namespace troupe::http
