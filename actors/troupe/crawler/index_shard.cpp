#include "troupe/crawler/index_shard.hpp"

#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/skip.hpp>

#include "troupe/crawler/dup_blocks.hpp"
#include "troupe/crawler/messages.hpp"
#include "troupe/crawler/query_registry.hpp"
#include "troupe/crawler/search_index.hpp"
#include "troupe/crawler/shard_common.hpp"
#include "troupe/persistence/codec.hpp"
#include "troupe/runtime/atoms.hpp"
#include "troupe/runtime/errors.hpp"
#include "troupe/runtime/shard_journal.hpp"

namespace troupe::crawler {

namespace {

using journal_op = persistence::journal_op;
using redrop_atom = caf::atom_constant<caf::atom("sx_redrop")>;

/// Extra time before cached answers are dropped a second time.
constexpr std::chrono::milliseconds redrop_margin{1000};
using runtime::errc;
using runtime::make_error;

struct index_state {
  index_state(runtime::shard_context ctx, index_env_ptr e)
      : journal(std::move(ctx)), env(std::move(e)),
        registry(env->settings.registry_capacity) {
    // nop
  }
  ~index_state() {
    env->board->documents -= published_docs;
    env->board->bytes -= published_bytes;
  }

  void publish() {
    auto docs = static_cast<int64_t>(index.size());
    auto bytes = static_cast<int64_t>(index.memory_bytes());
    env->board->documents += docs - published_docs;
    env->board->bytes += bytes - published_bytes;
    published_docs = docs;
    published_bytes = bytes;
  }

  runtime::shard_journal journal;
  index_env_ptr env;
  search_index index;
  dup_blocks dups;
  query_registry registry;
  int64_t published_docs = 0;
  int64_t published_bytes = 0;
};

using state_ptr = std::shared_ptr<index_state>;

void drop_cached(index_state& st, const std::vector<std::string>& keys) {
  for (const auto& key : keys)
    caf::anon_send(st.env->cache, cache::delete_atom::value, key);
  st.env->board->invalidations += keys.size();
}

caf::result<caf::message> on_put(caf::event_based_actor* self, state_ptr st,
                                 const std::string& url,
                                 const std::string& blob) {
  document doc;
  if (!persistence::decode(blob, doc) || doc.url != url)
    return make_error(errc::invalid_argument, "malformed document");
  auto rp = self->make_response_promise();
  std::vector<journal_op> ops{{journal_op::put, doc_key(url), blob}};
  if (auto err =
          st->journal.submit(self, std::move(ops), rp, caf::make_message(true)))
    return err;
  // A page fetched again unchanged (a refresh) changes no answer.
  auto old = st->index.find(url);
  bool same =
      old != nullptr && old->title == doc.title && old->text == doc.text;
  auto terms = st->index.put(std::move(doc));
  if (!same) {
    auto keys = st->registry.take(terms);
    drop_cached(*st, keys);
    // A search that counted on this shard before the page arrived may put
    // its answer into the cache after the drop: drop again once every such
    // search has ended (both of its rounds time out after `timeout`).
    if (!keys.empty())
      self->delayed_send(self, 2 * st->env->settings.timeout + redrop_margin,
                         redrop_atom::value, std::move(keys));
  }
  st->publish();
  return rp;
}

caf::result<caf::message> on_dup(caf::event_based_actor* self, state_ptr st,
                                 uint8_t idx, uint16_t block, uint64_t hash,
                                 const std::string& url) {
  if (idx > 3)
    return make_error(errc::invalid_argument, "block index out of range");
  auto match = st->dups.check_insert(idx, block, hash, url);
  if (!match.empty())
    return caf::make_message(std::move(match));
  auto rp = self->make_response_promise();
  std::vector<journal_op> ops{{journal_op::put,
                               dup_blocks::key(idx, block, url),
                               dup_blocks::value(hash)}};
  if (auto err = st->journal.submit(self, std::move(ops), rp,
                                    caf::make_message(std::string{}))) {
    st->dups.remove(idx, block, url);
    return err;
  }
  return rp;
}

bool on_undup(caf::event_based_actor* self, index_state& st, uint8_t idx,
              uint16_t block, const std::string& url) {
  if (idx > 3 || !st.dups.remove(idx, block, url))
    return false;
  st.journal.submit(
      self, {{journal_op::erase, dup_blocks::key(idx, block, url), {}}});
  return true;
}

caf::result<std::string> on_find(index_state& st, const std::string& text,
                                 uint32_t limit, const std::string& blob) {
  auto q = query::parse(text);
  corpus_stats global;
  if (!q || !persistence::decode(blob, global) ||
      global.df.size() != positive_terms(*q).size())
    return make_error(errc::invalid_argument, "malformed search");
  return persistence::encode(st.index.search(*q, limit, global));
}

caf::behavior serving(caf::event_based_actor* self, state_ptr st) {
  return caf::message_handler{
      [self, st](put_atom, const std::string& url, const std::string& blob) {
        return on_put(self, st, url, blob);
      },
      [st](has_atom, const std::string& url, int64_t since) {
        auto doc = st->index.find(url);
        return doc != nullptr && doc->fetched_ms >= since;
      },
      [self, st](dup_atom, const std::string&, uint8_t idx, uint16_t block,
                 uint64_t hash, const std::string& url) {
        return on_dup(self, st, idx, block, hash, url);
      },
      [self, st](undup_atom, const std::string&, uint8_t idx, uint16_t block,
                 const std::string& url) {
        return on_undup(self, *st, idx, block, url);
      },
      [self, st](stats_atom, const std::string& key,
                 const std::vector<std::string>& terms,
                 const std::vector<std::string>& watched) {
        drop_cached(*st, st->registry.add(key, watched));
        return persistence::encode(st->index.stats(terms));
      },
      [st](find_atom, const std::string& text, uint32_t limit,
           const std::string& blob) { return on_find(*st, text, limit, blob); },
      [st](redrop_atom, const std::vector<std::string>& keys) {
        drop_cached(*st, keys);
      },
      [st](count_atom) {
        return caf::make_message(
            static_cast<uint64_t>(st->index.size()),
            static_cast<uint64_t>(st->index.memory_bytes()));
      },
  }
      .or_else(journal_handlers(st));
}

void restore(index_state& st, const persistence::shard_image& image) {
  for (const auto& [key, value] : image.records) {
    if (url_of_doc_key(key)) {
      document doc;
      if (persistence::decode(value, doc))
        st.index.put(std::move(doc));
    } else if (auto e = dup_blocks::decode(key, value)) {
      st.dups.restore(e->idx, e->block, e->hash, e->url);
    }
  }
  st.publish();
}

} // namespace

caf::behavior index_shard(caf::event_based_actor* self,
                          runtime::shard_context ctx, index_env_ptr env) {
  auto st = std::make_shared<index_state>(std::move(ctx), std::move(env));
  self->set_default_handler(caf::skip);
  runtime::load_shard_async(self, st->journal.context());
  return {
      [self, st](runtime::loaded_atom, const runtime::shard_image_ptr& image) {
        restore(*st, *image);
        finish_loading(self, st->journal, image->last_seq);
        self->become(serving(self, st));
      },
  };
}

} // namespace troupe::crawler
