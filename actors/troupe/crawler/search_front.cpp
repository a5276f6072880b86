#include "troupe/crawler/search_front.hpp"

#include <algorithm>
#include <cstdio>

#include <caf/event_based_actor.hpp>
#include <caf/make_message.hpp>
#include <caf/send.hpp>

#include "troupe/crawler/messages.hpp"
#include "troupe/crawler/records.hpp"
#include "troupe/json_text.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/utf8.hpp"

namespace troupe::crawler {

namespace {

using deps_ptr = std::shared_ptr<const search_deps>;
using runtime::errc;
using runtime::make_error;

/// Replaces bytes that are not valid UTF-8 with '?', so the JSON stays
/// valid whatever a page held.
std::string utf8_or_marks(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += '?';
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

/// Runs `round` on every index shard; `done(ok, replies)` once all answered.
void each_shard(caf::event_based_actor* self, const deps_ptr& d,
                const region_handle_ptr& region, size_t shards,
                caf::message msg,
                std::function<void(bool, std::vector<std::string>)> done) {
  struct gather {
    size_t left;
    bool ok = true;
    std::vector<std::string> replies;
    std::function<void(bool, std::vector<std::string>)> done;
  };
  auto g = std::make_shared<gather>(gather{shards, true, {}, done});
  auto one = [g] {
    if (--g->left == 0)
      g->done(g->ok, std::move(g->replies));
  };
  for (uint16_t i = 0; i < shards; ++i) {
    auto [dest, wrapped] = region->to_shard(i, msg);
    self->request(dest, d->settings.timeout, std::move(wrapped))
        .then(
            [g, one](std::string& reply) {
              g->replies.push_back(std::move(reply));
              one();
            },
            [g, one](caf::error&) {
              g->ok = false;
              one();
            });
  }
}

caf::error unavailable() {
  return make_error(errc::unavailable, "an index shard did not answer");
}

void score_round(caf::event_based_actor* self, const deps_ptr& d,
                 const std::string& text, uint32_t limit,
                 const std::string& key, const corpus_stats& global,
                 caf::response_promise rp) {
  auto msg = caf::make_message(find_atom::value, text, limit,
                               persistence::encode(global));
  each_shard(self, d, d->search, d->shards, std::move(msg),
             [self, d, key, limit,
              rp](bool ok, std::vector<std::string> replies) mutable {
               if (!ok)
                 return rp.deliver(unavailable());
               std::vector<std::vector<search_hit>> lists(replies.size());
               for (size_t i = 0; i < replies.size(); ++i)
                 persistence::decode(replies[i], lists[i]);
               auto body = render_hits(merge_hits(std::move(lists), limit));
               auto ttl = static_cast<uint32_t>(d->settings.cache_ttl.count());
               caf::anon_send(d->cache, cache::put_atom::value, key, body, ttl);
               rp.deliver(std::move(body), false);
             });
}

void run_search(caf::event_based_actor* self, const deps_ptr& d, const query& q,
                const std::string& text, uint32_t limit, const std::string& key,
                caf::response_promise rp) {
  auto terms = positive_terms(q);
  auto watched = terms;
  watched.insert(watched.end(), q.excluded.begin(), q.excluded.end());
  auto msg = caf::make_message(stats_atom::value, key, terms, watched);
  each_shard(self, d, d->search, d->shards, std::move(msg),
             [self, d, text, limit, key, n = terms.size(),
              rp](bool ok, std::vector<std::string> replies) mutable {
               if (!ok)
                 return rp.deliver(unavailable());
               corpus_stats global;
               global.df.assign(n, 0);
               for (const auto& r : replies) {
                 corpus_stats part;
                 if (persistence::decode(r, part) && part.df.size() == n)
                   add_stats(global, part);
               }
               score_round(self, d, text, limit, key, global, rp);
             });
}

std::string render_status(const shard_report& r, uint64_t docs, uint64_t bytes,
                          bool partial) {
  std::string out = "{";
  auto field = [&out](const char* name, uint64_t v) {
    out += "\"" + std::string{name} + "\":" + std::to_string(v) + ",";
  };
  field("queued", r.counts.queued);
  field("in_flight", r.counts.in_flight);
  field("crawled", r.counts.crawled);
  field("failed", r.counts.failed);
  field("duplicates", r.counts.duplicates);
  field("skipped_robots", r.counts.skipped_robots);
  field("skipped_limit", r.counts.skipped_limit);
  field("hosts", r.counts.hosts);
  field("indexed", docs);
  field("index_bytes", bytes);
  char rate[32];
  std::snprintf(rate, sizeof(rate), "%.2f", r.pages_per_second);
  out += "\"pages_per_second\":" + std::string{rate} + ",";
  out += "\"failed_by_reason\":{";
  bool first = true;
  for (const auto& [reason, n] : r.counts.failed_by_reason) {
    if (!first)
      out += ',';
    first = false;
    append_json_string(out, utf8_or_marks(reason));
    out += ":" + std::to_string(n);
  }
  out += "},\"partial\":";
  out += partial ? "true" : "false";
  return out + "}";
}

/// Sums the index shards' counts, then answers the status.
void count_documents(caf::event_based_actor* self, const deps_ptr& d,
                     shard_report total, bool partial,
                     caf::response_promise rp) {
  struct gather {
    size_t left;
    uint64_t docs = 0;
    uint64_t bytes = 0;
    bool partial;
  };
  auto g = std::make_shared<gather>(gather{d->shards, 0, 0, partial});
  auto one = [g, total, rp]() mutable {
    if (--g->left == 0)
      rp.deliver(render_status(total, g->docs, g->bytes, g->partial));
  };
  for (uint16_t i = 0; i < d->shards; ++i) {
    auto [dest, msg] =
        d->search->to_shard(i, caf::make_message(count_atom::value));
    self->request(dest, d->settings.timeout, std::move(msg))
        .then(
            [g, one](uint64_t docs, uint64_t bytes) mutable {
              g->docs += docs;
              g->bytes += bytes;
              one();
            },
            [g, one](caf::error&) mutable {
              g->partial = true;
              one();
            });
  }
}

caf::result<caf::message> status(caf::event_based_actor* self,
                                 const deps_ptr& d) {
  auto rp = self->make_response_promise();
  each_shard(self, d, d->crawler, d->crawler_shards,
             caf::make_message(stat_atom::value),
             [self, d, rp](bool ok, std::vector<std::string> replies) {
               shard_report total;
               for (const auto& r : replies) {
                 shard_report part;
                 if (persistence::decode(r, part)) {
                   total.counts += part.counts;
                   total.pages_per_second += part.pages_per_second;
                 }
               }
               count_documents(self, d, std::move(total), !ok, rp);
             });
  return rp;
}

caf::behavior front(caf::event_based_actor* self, deps_ptr d) {
  return {
      [self, d](stat_atom) { return status(self, d); },
      [self, d](query_atom, const std::string& text,
                uint32_t limit) -> caf::result<caf::message> {
        auto q = query::parse(text);
        if (!q)
          return make_error(errc::invalid_argument, "query has no terms");
        auto key = cache_key(*q, limit);
        auto rp = self->make_response_promise();
        self->request(d->cache, d->settings.timeout, cache::get_atom::value,
                      key)
            .then([rp](std::string& body) mutable { rp.deliver(body, true); },
                  [self, d, q = *q, text, limit, key, rp](caf::error&) {
                    run_search(self, d, q, text, limit, key, rp);
                  });
        return rp;
      },
  };
}

} // namespace

std::string cache_key(const query& q, uint32_t limit) {
  std::string key = "search\x1f";
  for (auto group : q.all_of_any) {
    std::sort(group.begin(), group.end());
    for (const auto& t : group)
      key += t + "|";
    key += ' ';
  }
  auto excluded = q.excluded;
  std::sort(excluded.begin(), excluded.end());
  for (const auto& t : excluded)
    key += "-" + t + " ";
  return key + "\x1f" + std::to_string(limit);
}

std::string render_hits(const std::vector<search_hit>& hits) {
  std::string out = "[";
  for (const auto& h : hits) {
    if (out.size() > 1)
      out += ',';
    out += "{\"title\":";
    append_json_string(out, utf8_or_marks(h.title));
    out += ",\"snippet\":";
    append_json_string(out, utf8_or_marks(h.snippet));
    out += ",\"link\":";
    append_json_string(out, utf8_or_marks(h.url));
    out += '}';
  }
  return out + "]";
}

caf::actor spawn_search_front(caf::actor_system& sys,
                              std::shared_ptr<const search_deps> deps) {
  return sys.spawn(front, std::move(deps));
}

} // namespace troupe::crawler
