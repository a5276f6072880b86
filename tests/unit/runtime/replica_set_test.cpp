#include "troupe/runtime/replica_set.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <gtest/gtest.h>

#include <thread>

#include "troupe/runtime/errors.hpp"

using namespace troupe::runtime;
using detail::pending_reply;
using detail::pending_reply_ptr;

namespace {

using go_atom = caf::atom_constant<caf::atom("go")>;

/// An actor that answers a request through a pending_reply handed to the
/// test, which then plays the committer and the replicas.
struct runtimeReplicaSet : ::testing::Test {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  lease_status_ptr lease = std::make_shared<lease_status>();
  pending_reply_ptr made;

  /// Sends a request whose reply waits for `parties`; returns its handle
  /// once the pending reply exists.
  auto start_write(int parties, int64_t lease_id) {
    auto* out = &made;
    auto l = lease;
    auto server =
        sys.spawn([out, l, parties, lease_id](caf::event_based_actor* srv) {
          return caf::behavior{[=](go_atom) -> caf::result<std::string> {
            auto rp = srv->make_response_promise();
            *out = std::make_shared<pending_reply>(
                parties, detail::reply_to{rp.next(), rp.id()},
                caf::make_message(std::string{"acknowledged"}), l, lease_id);
            return caf::delegated<std::string>{};
          }};
        });
    made.reset();
    auto h = self->request(server, caf::infinite, go_atom::value);
    for (int i = 0; i < 400 && !made; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_TRUE(made);
    return h;
  }

  /// The answer the writer got (message text or error message).
  template <class Handle>
  static std::string answer(Handle& h) {
    std::string out = "(none)";
    h.receive([&](const std::string& text) { out = text; },
              [&](caf::error& err) { out = "error: " + error_message(err); });
    return out;
  }
};

} // namespace

TEST_F(runtimeReplicaSet, AWriteIsAcknowledgedOnceEveryPartyArrived) {
  lease->renew(5, lease_status::clock::now() + std::chrono::minutes(1));
  auto h = start_write(3, 5);
  made->arrive();
  made->arrive();
  EXPECT_EQ(made->remaining, 1);
  made->arrive();
  EXPECT_EQ(answer(h), "acknowledged");
}

TEST_F(runtimeReplicaSet, NoAcknowledgementOnceTheLeaseExpiredOrChanged) {
  lease->renew(5, lease_status::clock::now() - std::chrono::milliseconds(1));
  auto h1 = start_write(1, 5);
  made->arrive();
  EXPECT_NE(answer(h1).find("lease expired"), std::string::npos);
  lease->renew(6, lease_status::clock::now() + std::chrono::minutes(1));
  auto h2 = start_write(1, 5); // written under lease 5, which is gone
  made->arrive();
  EXPECT_NE(answer(h2).find("lease expired"), std::string::npos);
}

TEST_F(runtimeReplicaSet,
       AParkedWriteGoesOnOnlyOnceItsReplicaLeftTheConfiguration) {
  lease->renew(5, lease_status::clock::now() + std::chrono::minutes(1));
  replica_set replicas;
  replicas.set(3, {"n2", "n3"});
  auto h = start_write(3, 5);             // local commit + n2 + n3
  made->arrive();                         // committed here
  made->arrive();                         // n3 persisted it
  ASSERT_TRUE(replicas.park("n2", made)); // n2 did not
  EXPECT_EQ(replicas.parked(), 1u);
  replicas.set(4, {"n2", "n3"}); // a change that keeps n2
  EXPECT_EQ(replicas.parked(), 1u);
  EXPECT_EQ(made->remaining, 1);
  replicas.set(5, {"n3"}); // n2 removed by a CAS
  EXPECT_EQ(replicas.parked(), 0u);
  EXPECT_EQ(answer(h), "acknowledged");
  EXPECT_EQ(replicas.current()->epoch, 5u);
  // Parking on a replica already gone is refused: the caller goes on.
  EXPECT_FALSE(replicas.park("n2", made));
}

TEST_F(runtimeReplicaSet, ParkedWritesFailWhenTheRemovalCannotHappen) {
  lease->renew(5, lease_status::clock::now() + std::chrono::minutes(1));
  replica_set replicas;
  replicas.set(3, {"n2"});
  auto h = start_write(2, 5);
  made->arrive();
  ASSERT_TRUE(replicas.park("n2", made));
  replicas.fail_parked(make_error(errc::unavailable, "shard moved"));
  EXPECT_EQ(answer(h), "error: shard moved");
  made->arrive(); // a late arrival sends nothing more
  EXPECT_TRUE(made->failed);
}
