#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace troupe::twitter {

/// Tweet ids in the Snowflake layout: unique across the cluster and
/// ordered by creation time.
///
///   bit 63        always 0 (ids are positive in signed 64 bits, as in JSON)
///   bits 62..22   milliseconds since `epoch_ms` (2020-01-01T00:00:00Z):
///                 41 bits, enough for 69 years
///   bits 21..12   the node's index in [[nodes]] (10 bits, up to 1024)
///   bits 11..0    a sequence within the millisecond (4096 per ms and node)
///
/// Ids of one node strictly increase; ids of different nodes order by
/// their millisecond, ties broken by node index.
struct tweet_id {
  static constexpr uint64_t epoch_ms = 1577836800000; // 2020-01-01
  static constexpr int node_bits = 10;
  static constexpr int sequence_bits = 12;
  static constexpr uint64_t max_node = (uint64_t{1} << node_bits) - 1;
  static constexpr uint64_t max_sequence = (uint64_t{1} << sequence_bits) - 1;

  /// Milliseconds since the Unix epoch at which `id` was made.
  static uint64_t unix_ms(uint64_t id) {
    return (id >> (node_bits + sequence_bits)) + epoch_ms;
  }
  static uint64_t node(uint64_t id) { return (id >> sequence_bits) & max_node; }
  static uint64_t sequence(uint64_t id) { return id & max_sequence; }
  static uint64_t make(uint64_t unix_ms, uint64_t node, uint64_t sequence) {
    return ((unix_ms - epoch_ms) << (node_bits + sequence_bits)) |
           (node << sequence_bits) | sequence;
  }
};

/// Makes the tweet ids of one node; not thread-safe (one per actor).
/// If the clock steps back, ids continue from the last millisecond used
/// (they never repeat or go backwards); when 4096 ids were made within one
/// millisecond, the next ones borrow the following millisecond.
class tweet_id_generator {
public:
  /// Milliseconds since the Unix epoch (injectable for tests).
  using clock_fn = std::function<uint64_t()>;

  /// `node` must be at most `tweet_id::max_node`.
  explicit tweet_id_generator(uint64_t node, clock_fn now = system_ms);

  /// Returns the next id.
  uint64_t next();

  static uint64_t system_ms();

private:
  uint64_t node_;
  clock_fn now_;
  uint64_t last_ms_ = 0;
  uint64_t sequence_ = 0;
};

/// Formats the creation time of `id` as Twitter's `created_at`:
/// "Wed Sep 05 00:37:15 +0000 2012" (UTC).
std::string created_at(uint64_t id);

} // namespace troupe::twitter
