#include "troupe/twitter/render.hpp"

#include "troupe/json_text.hpp"
#include "troupe/twitter/tweet_id.hpp"

namespace troupe::twitter {

namespace {

const tweet& deref(const tweet& t) {
  return t;
}

const tweet& deref(const tweet_ptr& t) {
  return *t;
}

template <class List>
std::string render(const List& xs) {
  std::string out;
  out.reserve(2 + xs.size() * 220);
  out += '[';
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      out += ',';
    append_tweet(out, deref(xs[i]));
  }
  out += ']';
  return out;
}

} // namespace

void append_tweet(std::string& out, const tweet& t) {
  out += "{\"user_id\":";
  append_json_string(out, t.user_id);
  out += ",\"tweet_id\":\"";
  out += std::to_string(t.id);
  out += "\",\"status\":";
  append_json_string(out, t.status);
  out += ",\"created_at\":\"";
  out += created_at(t.id);
  out += '"';
  if (!t.media_ids.empty()) {
    out += ",\"media_ids\":[";
    for (size_t i = 0; i < t.media_ids.size(); ++i) {
      if (i > 0)
        out += ',';
      append_json_string(out, t.media_ids[i]);
    }
    out += ']';
  }
  out += '}';
}

std::string render_tweets(const std::vector<tweet_ptr>& xs) {
  return render(xs);
}

std::string render_tweets(const tweet_list& xs) {
  return render(xs);
}

} // namespace troupe::twitter
