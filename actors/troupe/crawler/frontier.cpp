#include "troupe/crawler/frontier.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "troupe/net/url.hpp"

namespace troupe::crawler {

namespace {

/// Marks "no host" (an unparsable URL).
constexpr uint32_t no_host = std::numeric_limits<uint32_t>::max();

/// The reason of pages failed because robots.txt stayed unreachable.
constexpr const char* robots_unreachable = "robots_unreachable";

} // namespace

std::string url_key(std::string_view url) {
  std::string key;
  key.reserve(url.size() + 1);
  key += 'u';
  key += url;
  return key;
}

std::optional<std::string> url_of_key(std::string_view key) {
  if (key.empty() || key.front() != 'u')
    return std::nullopt;
  return std::string{key.substr(1)};
}

frontier::frontier(settings s) : settings_(std::move(s)) {
  settings_.per_host_connections =
      std::max<size_t>(settings_.per_host_connections, 1);
  settings_.robots_attempts = std::max(settings_.robots_attempts, 1);
}

// -- URL records -------------------------------------------------------------

frontier::enqueue_result frontier::enqueue(const std::string& url,
                                           const std::string& crawl,
                                           uint32_t depth, uint32_t order,
                                           int64_t now) {
  auto it = urls_.find(url);
  if (it == urls_.end()) {
    auto host = host_of(url);
    if (host == no_host)
      return enqueue_result::known;
    auto& kv = add_entry(url, host);
    kv.second.rec = url_record{0, crawl, depth, order, now, {}};
    attach(kv);
    return enqueue_result::added;
  }
  if (!due(it->second, now))
    return enqueue_result::known;
  reset_queued(*it, crawl, depth, order, now);
  return enqueue_result::refreshed;
}

bool frontier::skip(const std::string& url, const std::string& crawl,
                    uint32_t depth, uint32_t order, url_state st, int64_t now) {
  if (!is_done(st) || static_cast<uint8_t>(st) > 6)
    return false;
  auto it = urls_.find(url);
  if (it == urls_.end()) {
    auto host = host_of(url);
    if (host == no_host)
      return false;
    it = urls_.find(add_entry(url, host).first);
  } else if (due(it->second, now)) {
    detach(*it);
  } else {
    return false;
  }
  it->second.rec =
      url_record{static_cast<uint8_t>(st), crawl, depth, order, now, {}};
  attach(*it);
  return true;
}

bool frontier::finish(const std::string& url, url_state st,
                      const std::string& reason, int64_t now) {
  auto it = urls_.find(url);
  if (it == urls_.end() || !is_done(st) || static_cast<uint8_t>(st) > 6 ||
      it->second.rec.state != static_cast<uint8_t>(url_state::fetching))
    return false;
  if (!it->second.recovering) {
    auto& h = hosts_[it->second.host];
    h.next_start = std::max(h.next_start, now + gap_of(h));
  }
  set_done(*it, st, reason, now);
  return true;
}

crawl_counts& crawl_counts::operator+=(const crawl_counts& x) {
  queued += x.queued;
  in_flight += x.in_flight;
  crawled += x.crawled;
  failed += x.failed;
  duplicates += x.duplicates;
  skipped_robots += x.skipped_robots;
  skipped_limit += x.skipped_limit;
  hosts += x.hosts;
  for (const auto& [reason, n] : x.failed_by_reason)
    failed_by_reason[reason] += n;
  return *this;
}

bool frontier::release(const std::string& url, int64_t now) {
  auto it = urls_.find(url);
  if (it == urls_.end() || it->second.recovering ||
      it->second.rec.state != static_cast<uint8_t>(url_state::fetching))
    return false;
  auto& h = hosts_[it->second.host];
  h.next_start = std::max(h.next_start, now + gap_of(h));
  detach(*it);
  it->second.recovering = true;
  attach(*it);
  return true;
}

bool frontier::requeue(const std::string& url) {
  auto it = urls_.find(url);
  if (it == urls_.end() ||
      it->second.rec.state != static_cast<uint8_t>(url_state::fetching))
    return false;
  detach(*it);
  it->second.rec.state = static_cast<uint8_t>(url_state::queued);
  attach(*it);
  return true;
}

std::vector<std::string> frontier::due_refresh(int64_t now, size_t max) {
  std::vector<std::string> out;
  while (out.size() < max && !done_.empty()) {
    auto [at, view] = *done_.begin();
    if (at > now - settings_.refresh_after_ms)
      break;
    auto it = urls_.find(std::string{view});
    auto rec = it->second.rec;
    reset_queued(*it, rec.crawl, rec.depth, rec.order, now);
    out.push_back(it->first);
  }
  return out;
}

const url_record* frontier::find(const std::string& url) const {
  auto it = urls_.find(url);
  return it == urls_.end() ? nullptr : &it->second.rec;
}

void frontier::restore(const std::string& url, url_record rec) {
  if (rec.state > static_cast<uint8_t>(url_state::limit))
    rec.state = static_cast<uint8_t>(url_state::queued);
  if (rec.state != static_cast<uint8_t>(url_state::failed))
    rec.reason.clear();
  auto it = urls_.find(url);
  if (it != urls_.end()) {
    detach(*it);
  } else {
    auto host = host_of(url);
    if (host == no_host)
      return;
    it = urls_.find(add_entry(url, host).first);
  }
  it->second.recovering =
      rec.state == static_cast<uint8_t>(url_state::fetching);
  it->second.rec = std::move(rec);
  attach(*it);
}

std::vector<std::string> frontier::recovering() const {
  return {recovering_.begin(), recovering_.end()};
}

const crawl_counts& frontier::counts() const {
  return counts_;
}

uint32_t frontier::host_of(const std::string& url) {
  auto parsed = net::url::parse(url);
  if (!parsed)
    return no_host;
  auto name = parsed->authority();
  auto it = host_ids_.find(name);
  if (it != host_ids_.end())
    return it->second;
  auto id = static_cast<uint32_t>(hosts_.size());
  hosts_.emplace_back();
  counts_.hosts = hosts_.size();
  hosts_.back().name = name;
  hosts_.back().scheme = parsed->scheme;
  host_ids_.emplace(std::move(name), id);
  return id;
}

frontier::url_map::value_type& frontier::add_entry(const std::string& url,
                                                   uint32_t host) {
  auto& kv = *urls_.try_emplace(url).first;
  kv.second.host = host;
  kv.second.seq = next_seq_++;
  return kv;
}

bool frontier::due(const url_entry& e, int64_t now) const {
  return is_done(static_cast<url_state>(e.rec.state)) &&
         e.rec.at_ms <= now - settings_.refresh_after_ms;
}

void frontier::set_done(url_map::value_type& kv, url_state st,
                        std::string reason, int64_t now) {
  detach(kv);
  auto& rec = kv.second.rec;
  rec.state = static_cast<uint8_t>(st);
  rec.reason = st == url_state::failed ? std::move(reason) : std::string{};
  rec.at_ms = now;
  attach(kv);
}

void frontier::reset_queued(url_map::value_type& kv, const std::string& crawl,
                            uint32_t depth, uint32_t order, int64_t now) {
  detach(kv);
  kv.second.rec = url_record{0, crawl, depth, order, now, {}};
  kv.second.seq = next_seq_++;
  attach(kv);
}

// Every state change is detach (leave the old state's structure and
// counter) + change + attach (join the new one's), so the counters and the
// structures cannot disagree.

void frontier::attach(url_map::value_type& kv) {
  auto& e = kv.second;
  count(e.rec, +1);
  switch (static_cast<url_state>(e.rec.state)) {
  case url_state::queued:
    hosts_[e.host].queue.insert(
        queue_key{e.rec.depth, e.rec.order, e.seq, &kv.first});
    schedule(e.host);
    break;
  case url_state::fetching:
    if (e.recovering)
      recovering_.insert(kv.first);
    else
      ++hosts_[e.host].in_flight;
    break;
  default:
    done_.emplace(e.rec.at_ms, kv.first);
  }
}

void frontier::detach(url_map::value_type& kv) {
  auto& e = kv.second;
  count(e.rec, -1);
  switch (static_cast<url_state>(e.rec.state)) {
  case url_state::queued:
    hosts_[e.host].queue.erase(
        queue_key{e.rec.depth, e.rec.order, e.seq, &kv.first});
    break;
  case url_state::fetching:
    if (e.recovering) {
      recovering_.erase(kv.first);
      e.recovering = false;
    } else {
      --hosts_[e.host].in_flight;
      schedule(e.host);
    }
    break;
  default:
    done_.erase({e.rec.at_ms, kv.first});
  }
}

void frontier::count(const url_record& rec, int delta) {
  auto add = [delta](uint64_t& n) { n += static_cast<uint64_t>(delta); };
  switch (static_cast<url_state>(rec.state)) {
  case url_state::queued:
    return add(counts_.queued);
  case url_state::fetching:
    return add(counts_.in_flight);
  case url_state::crawled:
    return add(counts_.crawled);
  case url_state::failed: {
    add(counts_.failed);
    auto& n = counts_.failed_by_reason[rec.reason];
    add(n);
    if (n == 0)
      counts_.failed_by_reason.erase(rec.reason);
    return;
  }
  case url_state::duplicate:
    return add(counts_.duplicates);
  case url_state::robots:
    return add(counts_.skipped_robots);
  case url_state::limit:
    return add(counts_.skipped_limit);
  }
}

// -- Hosts and scheduling ----------------------------------------------------

void frontier::robots_fetched(const std::string& host, unsigned status,
                              std::string_view body, int64_t now) {
  auto it = host_ids_.find(host);
  if (it == host_ids_.end())
    return;
  auto& h = hosts_[it->second];
  if (h.phase != robots_phase::in_flight)
    return;
  --h.in_flight;
  if (status >= 200 && status < 500) {
    h.rules = status < 300
                  ? robots_rules::parse(body, settings_.user_agent_token)
                  : robots_rules::allow_all();
    h.phase = robots_phase::known;
    h.robots_valid_until = now + settings_.robots_ttl_ms;
    h.robots_failures = 0;
  } else {
    h.rules.reset();
    h.phase = robots_phase::unreachable;
    h.robots_retry_at = now + settings_.robots_retry_ms;
    ++h.robots_failures;
  }
  h.next_start = std::max(h.next_start, now + gap_of(h));
  schedule(it->second);
}

int64_t frontier::gap_of(const host_state& h) const {
  auto gap = settings_.per_host_delay_ms;
  if (h.phase != robots_phase::known || !h.rules)
    return gap;
  auto delay = h.rules->crawl_delay();
  if (!delay || !(*delay > 0))
    return gap;
  auto ms = *delay * 1000.0;
  auto cap = settings_.max_crawl_delay_ms;
  auto crawl_gap = ms >= static_cast<double>(cap)
                       ? cap
                       : static_cast<int64_t>(std::llround(ms));
  return std::max(gap, crawl_gap);
}

std::pair<frontier::action, int64_t> frontier::classify(const host_state& h,
                                                        int64_t now) const {
  if (h.queue.empty())
    return {action::idle, 0};
  if (h.phase == robots_phase::in_flight)
    return {action::blocked, 0};
  auto need_robots =
      h.phase == robots_phase::unknown ||
      (h.phase == robots_phase::known && now >= h.robots_valid_until);
  if (h.phase == robots_phase::unreachable) {
    if (now < h.robots_retry_at) {
      if (h.robots_failures >= settings_.robots_attempts)
        return {action::fail_all, 0};
      return {action::wait, std::max(h.robots_retry_at, h.next_start)};
    }
    need_robots = true;
  }
  if (h.in_flight >= settings_.per_host_connections)
    return {action::blocked, 0};
  if (now < h.next_start)
    return {action::wait, h.next_start};
  return {need_robots ? action::fetch_robots : action::fetch_page, 0};
}

void frontier::unfile(uint32_t id) {
  auto& h = hosts_[id];
  if (h.place == slot_place::timer)
    timers_.erase({h.timer_at, id});
  h.place = slot_place::none;
}

// Files a host under the earliest time it could start (classified at the
// earliest possible time: every time condition is "now >= t", so that is
// exact). Hosts already in the turn order are classified on their turn.
void frontier::schedule(uint32_t id) {
  auto& h = hosts_[id];
  if (h.place == slot_place::ready)
    return;
  unfile(id);
  auto [act, at] = classify(h, std::numeric_limits<int64_t>::min());
  if (act == action::idle || act == action::blocked)
    return;
  if (act != action::wait)
    at = std::numeric_limits<int64_t>::min();
  timers_.emplace(at, id);
  h.place = slot_place::timer;
  h.timer_at = at;
}

frontier::ready frontier::take_ready(int64_t now, size_t max) {
  ready out;
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto id = timers_.begin()->second;
    timers_.erase(timers_.begin());
    hosts_[id].place = slot_place::ready;
    ready_.push_back(id);
  }
  while (out.fetch.size() < max && !ready_.empty()) {
    auto id = ready_.front();
    ready_.pop_front();
    hosts_[id].place = slot_place::none;
    step(id, now, out);
  }
  return out;
}

void frontier::step(uint32_t id, int64_t now, ready& out) {
  auto& h = hosts_[id];
  auto [act, at] = classify(h, now);
  switch (act) {
  case action::idle:
  case action::blocked:
    return;
  case action::wait:
    timers_.emplace(at, id);
    h.place = slot_place::timer;
    h.timer_at = at;
    return;
  case action::fail_all:
    return fail_queued(h, now, out);
  case action::fetch_robots:
    start_robots(h, out);
    break;
  case action::fetch_page:
    start_page(id, now, out);
    break;
  }
  // One fetch per turn: back to the end of the turn order.
  unfile(id);
  h.place = slot_place::ready;
  ready_.push_back(id);
}

void frontier::start_robots(host_state& h, ready& out) {
  h.phase = robots_phase::in_flight;
  ++h.in_flight;
  out.fetch.push_back(
      fetch_task{h.scheme + "://" + h.name + "/robots.txt", h.name, true});
}

// Starts the best allowed page; disallowed ones on the way finish as robots.
void frontier::start_page(uint32_t id, int64_t now, ready& out) {
  auto& h = hosts_[id];
  while (!h.queue.empty()) {
    auto it = urls_.find(*h.queue.begin()->url);
    auto parsed = net::url::parse(it->first);
    auto target = parsed ? parsed->target : std::string{"/"};
    if (h.rules && !h.rules->allowed(target)) {
      set_done(*it, url_state::robots, {}, now);
      out.finished.push_back(it->first);
      continue;
    }
    detach(*it);
    it->second.rec.state = static_cast<uint8_t>(url_state::fetching);
    it->second.rec.at_ms = now;
    attach(*it);
    out.fetch.push_back(fetch_task{it->first, h.name, false});
    return;
  }
}

void frontier::fail_queued(host_state& h, int64_t now, ready& out) {
  while (!h.queue.empty()) {
    auto it = urls_.find(*h.queue.begin()->url);
    set_done(*it, url_state::failed, robots_unreachable, now);
    out.finished.push_back(it->first);
  }
}

std::optional<int64_t> frontier::next_wakeup(int64_t now) const {
  auto it = timers_.upper_bound({now, no_host});
  if (it == timers_.end())
    return std::nullopt;
  return it->first;
}

} // namespace troupe::crawler
