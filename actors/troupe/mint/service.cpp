#include "troupe/mint/service.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "troupe/log.hpp"
#include "troupe/mint/extractor.hpp"
#include "troupe/mint/messages.hpp"
#include "troupe/mint/seller_shard.hpp"
#include "troupe/net/http_client.hpp"
#include "troupe/runtime/atoms.hpp"

namespace troupe::mint {

namespace {

/// The routes of the user region, set once it runs (the extraction pool
/// and the seller shards start before it).
struct route_holder {
  std::mutex mtx;
  caf::actor region;
  runtime::region_status_ptr status;

  /// The shard when it runs here (false), else the region (true).
  std::pair<caf::actor, bool> at(uint16_t idx) {
    std::lock_guard<std::mutex> guard{mtx};
    auto local = status ? status->shard_at(idx) : caf::actor{};
    if (local)
      return {local, false};
    return {region, true};
  }
};

void export_metrics(runtime::metrics_registry& metrics, board_ptr b) {
  metrics.add_collector([b](runtime::metrics_registry& reg) {
    auto counter = [&reg](const char* name, const char* help, uint64_t v) {
      auto& c = reg.counter(name, help);
      c.inc(v - c.value());
    };
    counter("troupe_mint_transactions_total",
            "Transactions added by this node's Mint shards",
            b->transactions.load());
    counter("troupe_mint_jobs_done_total", "Extraction jobs finished",
            b->jobs_done.load());
    counter("troupe_mint_jobs_failed_total", "Extraction jobs failed",
            b->jobs_failed.load());
    counter("troupe_mint_notifications_total", "Budget notifications sent",
            b->notifications.load());
    counter("troupe_mint_refreshes_total", "Daily refreshes queued",
            b->refreshes.load());
    reg.gauge("troupe_mint_users", "Users of this node's Mint shards")
        .set(static_cast<double>(b->users.load()));
  });
}

/// Loads the key and checks it against the data dir's key-check file.
bool load_checked_key(runtime::node& n, std::optional<secret_key>& key,
                      std::string& error) {
  const auto& cfg = n.config().mint;
  auto loaded = load_key(std::getenv("TROUPE_MINT_KEY"), cfg.key_file);
  if (!loaded.error.empty()) {
    error = "mint: " + loaded.error;
    return false;
  }
  key = loaded.key;
  auto path = n.config().self_entry().data_dir + "/mint-key.check";
  std::ifstream in{path, std::ios::binary};
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    if (!key) {
      error = "mint: " + path +
              " says Mint data sealed with a key exists, "
              "but no key is given (TROUPE_MINT_KEY or [mint] key_file)";
      return false;
    }
    if (!key_matches(*key, text.str())) {
      error = "mint: the given key is not the one Mint's data was sealed "
              "with (checked against " +
              path + ")";
      return false;
    }
  } else if (key) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << make_key_check(*key);
    if (!out) {
      error = "mint: cannot write " + path;
      return false;
    }
  } else {
    log::warning("mint", "no key for account passwords (TROUPE_MINT_KEY or "
                         "[mint] key_file): linking accounts answers 503");
  }
  return true;
}

std::shared_ptr<const seller_map> load_sellers(const std::string& path,
                                               std::string& error) {
  if (path.empty())
    return std::shared_ptr<const seller_map>(&seller_map::builtin(),
                                             [](const seller_map*) {});
  std::ifstream in{path, std::ios::binary};
  std::stringstream text;
  text << in.rdbuf();
  auto m = std::make_shared<seller_map>();
  std::string why;
  if (!in || !m->load(text.str(), why)) {
    error = "mint.seller_map: " + path + ": " + (in ? why : "cannot read");
    return nullptr;
  }
  return m;
}

bool is_user_msg(const caf::message& msg) {
  return msg.match_element<link_atom>(0) || msg.match_element<txns_atom>(0) ||
         msg.match_element<spend_atom>(0) ||
         msg.match_element<budget_get_atom>(0) ||
         msg.match_element<notes_atom>(0) ||
         msg.match_element<set_category_atom>(0) ||
         msg.match_element<income_atom>(0) ||
         msg.match_element<budget_set_atom>(0) ||
         msg.match_element<vote_atom>(0);
}

bool is_write(const caf::message& msg) {
  return !(msg.match_element<txns_atom>(0) ||
           msg.match_element<spend_atom>(0) ||
           msg.match_element<budget_get_atom>(0) ||
           msg.match_element<notes_atom>(0) || msg.match_element<job_atom>(0));
}

} // namespace

int64_t system_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<std::string> key_of(const caf::message& msg) {
  if (msg.size() >= 2 && is_user_msg(msg) && msg.match_element<std::string>(1))
    return msg.get_as<std::string>(1);
  return std::nullopt;
}

caf::actor service::shard_or_region(uint16_t idx) const {
  auto local = status ? status->shard_at(idx) : caf::actor{};
  return local ? local : region;
}

caf::actor service::route(std::string_view user) const {
  return status ? status->route(user, region) : region;
}

caf::actor service::route_vote(std::string_view seller_key) const {
  return seller_status ? seller_status->route(seller_key, sellers) : sellers;
}

std::optional<service> start(runtime::node& n, std::string& error,
                             clock_fn now) {
  service svc;
  svc.settings = n.config().mint;
  svc.now = now;
  svc.board = std::make_shared<mint_board>();
  if (!load_checked_key(n, svc.key, error))
    return std::nullopt;
  svc.seller_categories = load_sellers(svc.settings.seller_map, error);
  auto xenv = std::make_shared<extractor_env>();
  if (!svc.seller_categories ||
      !xenv->policy.set_allowed(svc.settings.institution_hosts, error)) {
    if (error.rfind("mint", 0) != 0)
      error = "mint.institution_hosts: " + error;
    return std::nullopt;
  }
  svc.hosts = xenv->policy;
  auto routes = std::make_shared<route_holder>();
  xenv->settings = svc.settings;
  xenv->duration = &n.metrics().histogram(
      "troupe_mint_extract_seconds",
      "Seconds from an extraction worker taking a job to its end", {},
      {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60});
  net::http_client::options opts;
  opts.ca_file = svc.settings.ca_file;
  opts.user_agent = "troupe-mint";
  opts.max_idle_per_host = svc.settings.extract_workers;
  xenv->client = std::make_shared<net::http_client>(opts);
  xenv->user_shard = [routes](uint16_t idx) { return routes->at(idx); };
  auto senv = std::make_shared<seller_env>();
  senv->sellers = svc.seller_categories.get();
  senv->user_shards = svc.settings.shards;
  senv->user_shard = xenv->user_shard;
  auto env = std::make_shared<shard_env>();
  env->settings = svc.settings;
  env->key = svc.key;
  env->sellers = svc.seller_categories.get();
  env->now = now;
  env->board = svc.board;
  env->extractor = spawn_extractor(n.system(), xenv);
  n.manage(env->extractor);
  runtime::region_spec spec;
  spec.service = "mint";
  spec.shards = svc.settings.shards;
  spec.key_of = key_of;
  spec.is_write = is_write;
  auto keep = svc.seller_categories;
  spec.shard = [env, keep](caf::event_based_actor* self,
                           runtime::shard_context ctx) {
    return shard_actor(self, std::move(ctx), env);
  };
  svc.region = n.start_region(std::move(spec));
  svc.status = n.regions().back();
  {
    std::lock_guard<std::mutex> guard{routes->mtx};
    routes->region = svc.region;
    routes->status = svc.status;
  }
  runtime::region_spec sellers;
  sellers.service = "mint_sellers";
  sellers.shards = svc.settings.seller_shards;
  sellers.key_of = key_of;
  sellers.is_write = is_write;
  sellers.shard = [senv, keep](caf::event_based_actor* self,
                               runtime::shard_context ctx) {
    return seller_shard_actor(self, std::move(ctx), senv);
  };
  svc.sellers = n.start_region(std::move(sellers));
  svc.seller_status = n.regions().back();
  export_metrics(n.metrics(), svc.board);
  return svc;
}

} // namespace troupe::mint
