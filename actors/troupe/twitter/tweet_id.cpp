#include "troupe/twitter/tweet_id.hpp"

#include <ctime>
#include <stdexcept>

namespace troupe::twitter {

tweet_id_generator::tweet_id_generator(uint64_t node, clock_fn now)
    : node_(node), now_(std::move(now)) {
  if (node > tweet_id::max_node)
    throw std::invalid_argument("tweet id node index above 1023");
}

uint64_t tweet_id_generator::system_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch())
          .count());
}

uint64_t tweet_id_generator::next() {
  auto now = std::max(now_(), tweet_id::epoch_ms);
  if (now > last_ms_) {
    last_ms_ = now;
    sequence_ = 0;
  } else if (sequence_ < tweet_id::max_sequence) {
    ++sequence_; // same millisecond, or the clock stepped back
  } else {
    ++last_ms_; // 4096 ids in this millisecond: borrow the next one
    sequence_ = 0;
  }
  return tweet_id::make(last_ms_, node_, sequence_);
}

std::string created_at(uint64_t id) {
  auto secs = static_cast<std::time_t>(tweet_id::unix_ms(id) / 1000);
  // Timelines render many tweets of the same second: format each second
  // once per thread.
  thread_local std::time_t last_secs = -1;
  thread_local std::string last;
  if (secs == last_secs)
    return last;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S +0000 %Y", &tm);
  last.assign(buf, n);
  last_secs = secs;
  return last;
}

} // namespace troupe::twitter
