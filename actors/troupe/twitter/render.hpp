#pragma once

#include <string>

#include "troupe/twitter/messages.hpp"

namespace troupe::twitter {

/// Appends the API's JSON form of `t`: `{"user_id", "tweet_id" (a decimal
/// string), "status", "created_at"}`, plus `"media_ids"` when it has any.
void append_tweet(std::string& out, const tweet& t);

/// The JSON array of `xs`, in their order. Shards render timelines
/// themselves: the reply is one string, the same for a requester on this
/// node or another, and the tweets are neither copied nor shared with the
/// HTTP threads.
std::string render_tweets(const std::vector<tweet_ptr>& xs);
std::string render_tweets(const tweet_list& xs);

} // namespace troupe::twitter
