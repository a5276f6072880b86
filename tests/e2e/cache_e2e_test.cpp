// End-to-end tests of the key-value query cache (/cache/api/v1/*) against a
// real `troupe run` process: values and keys as raw bytes, input limits, TTL,
// LRU eviction under a byte budget, concurrent clients, counters, metrics
// and warm restarts from the snapshot.
#include "harness.hpp"
#include "shared_node.hpp"

#include <map>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <sys/wait.h>

#include <gtest/gtest.h>

using namespace troupe_e2e;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

const std::string entry_path = "/cache/api/v1/entry";
const std::string stats_path = "/cache/api/v1/stats";

/// The default `[cache] capacity_bytes` and `max_value_bytes`.
constexpr uint64_t default_capacity = 134217728;
constexpr size_t default_max_value = 1048576;

/// A value of 3,900 to 4,000 bytes lands (with the key and the entry's
/// header) in jemalloc's 4 KiB size class: the cache charges 4096 + 16.
constexpr size_t four_k_value = 3900;
constexpr uint64_t four_k_charge = 4096 + 16;

/// A config file for node_process with the given `[cache]` lines.
std::string cache_config(const std::string& cache_lines) {
  return R"(
[[nodes]]
name = "n1"
actor = "127.0.0.1:{ACTOR_PORT}"
http = "127.0.0.1:{PORT}"
data_dir = "{DATA_DIR}"

[cache]
)" + cache_lines +
         "\n";
}

std::string entry_url(const std::string& key) {
  return entry_path + "?key=" + url_encode(key);
}

http_response put_entry(connection& c, const std::string& key,
                        const std::string& value,
                        const std::string& ttl_seconds = "") {
  auto target = entry_url(key);
  if (!ttl_seconds.empty())
    target += "&ttl_seconds=" + url_encode(ttl_seconds);
  return c.request("PUT", target, value);
}

http_response get_entry(connection& c, const std::string& key) {
  return c.request("GET", entry_url(key));
}

http_response delete_entry(connection& c, const std::string& key) {
  return c.request("DELETE", entry_url(key));
}

/// PUTs and expects 204 (a test failure naming the key otherwise).
void store(connection& c, const std::string& key, const std::string& value,
           const std::string& ttl_seconds = "") {
  auto r = put_entry(c, key, value, ttl_seconds);
  EXPECT_EQ(r.status, 204) << "PUT key '" << key << "': " << r.body;
}

/// GET /stats as JSON (a test failure and a discarded value if not 200).
json read_stats(connection& c) {
  auto r = c.request("GET", stats_path);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.header("content-type").find("application/json"),
            std::string::npos);
  return r.body_json();
}

/// One counter of GET /stats (all ones when it is missing).
uint64_t counter(connection& c, const char* name) {
  auto s = read_stats(c);
  return s.is_object() && s[name].is_number_unsigned() ? s[name].get<uint64_t>()
                                                       : ~uint64_t{0};
}

/// Where two byte strings first differ (for readable failures on big ones).
std::string first_difference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i])
    ++i;
  return "sizes " + std::to_string(a.size()) + " and " +
         std::to_string(b.size()) + ", first difference at byte " +
         std::to_string(i);
}

/// Expects GET `key` to answer 200 with exactly `value` as octet-stream.
void expect_served(connection& c, const std::string& key,
                   const std::string& value) {
  auto r = get_entry(c, key);
  ASSERT_EQ(r.status, 200) << "GET key '" << key << "': " << r.body;
  EXPECT_TRUE(r.body == value)
      << "GET key '" << key << "': " << first_difference(r.body, value);
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
}

/// Expects GET `key` to answer 404 not_found.
void expect_absent(connection& c, const std::string& key) {
  auto r = get_entry(c, key);
  EXPECT_EQ(r.status, 404) << "GET key '" << key << "': " << r.body;
  EXPECT_EQ(r.error_code(), "not_found") << r.body;
}

/// Expects a response to be an error with this status and code.
void expect_error(const http_response& r, int status, const std::string& code,
                  const std::string& what) {
  EXPECT_EQ(r.status, status) << what << ": " << r.body;
  EXPECT_EQ(r.error_code(), code) << what << ": " << r.body;
}

/// `n` bytes cycling through all 256 byte values from `seed` on.
std::string pattern(size_t n, unsigned seed = 0) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<char>((i * 7 + seed) & 0xFF);
  return out;
}

/// Polls `done` every 20 ms until it holds or `timeout` passes.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = 5s) {
  auto deadline = steady::now() + timeout;
  while (!done()) {
    if (steady::now() > deadline)
      return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

/// One node on the default config shared by the tests that need no special
/// config; counters are checked as differences.
class e2eCache : public shared_node_test<e2eCache> {};

} // namespace

// -- values and keys round trip -----------------------------------------------

TEST_F(e2eCache, TextValueRoundTrips) {
  connection c{port()};
  store(c, "greeting", "Hello, cache! \xC3\xA9\xE4\xB8\xAD\xF0\x9F\x94\xA5");
  expect_served(c, "greeting",
                "Hello, cache! \xC3\xA9\xE4\xB8\xAD\xF0\x9F\x94\xA5");
}

TEST_F(e2eCache, BinaryValueWithEveryByteRoundTrips) {
  connection c{port()};
  std::string value;
  for (int round = 0; round < 4; ++round)
    for (int b = 0; b < 256; ++b)
      value += static_cast<char>(b);
  value += std::string("\0\0\xC3\x28\xFF\xFE", 6); // NULs, invalid UTF-8
  store(c, "binary", value);
  expect_served(c, "binary", value);
}

TEST_F(e2eCache, EmptyValueRoundTrips) {
  connection c{port()};
  store(c, "empty", "");
  auto r = get_entry(c, "empty");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("content-length"), "0");
}

TEST_F(e2eCache, ValueOfExactlyMaxValueBytesRoundTrips) {
  connection c{port()};
  auto value = pattern(default_max_value, 3);
  store(c, "max-sized", value);
  expect_served(c, "max-sized", value);
}

TEST_F(e2eCache, KeysWithOddBytesReadBackUnderTheSameKey) {
  connection c{port()};
  // Keys that percent-encoding, '+' or '&' could alias must stay apart.
  const std::vector<std::string> keys = {
      "with space",
      " plus ",
      "+plus+",
      "a&b=c",
      "a",
      "100%",
      "%41",
      "A",
      "/path/like/key?x=1#frag",
      "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87 \xE4\xB8\xAD \xF0\x9F\x94\xA5",
      std::string("nul\0inside", 10),
      "nul",
      "\xFF\xFE not utf-8 \xC3\x28",
      std::string(1024, 'k'),
  };
  for (size_t i = 0; i < keys.size(); ++i)
    store(c, keys[i], "value #" + std::to_string(i));
  for (size_t i = 0; i < keys.size(); ++i)
    expect_served(c, keys[i], "value #" + std::to_string(i));
}

TEST_F(e2eCache, PercentEscapesOfEitherCaseNameTheSameKey) {
  connection c{port()};
  auto r = c.request("PUT", entry_path + "?key=caf%c3%a9%2fx", "lower");
  ASSERT_EQ(r.status, 204) << r.body;
  expect_served(c, "caf\xC3\xA9/x", "lower");
  auto g = c.request("GET", entry_path + "?key=caf%C3%A9%2Fx");
  EXPECT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.body, "lower");
}

TEST_F(e2eCache, OverwriteReplacesTheValue) {
  connection c{port()};
  auto entries = counter(c, "entries");
  // Small, then another size class, then small again.
  store(c, "overwritten", "first");
  expect_served(c, "overwritten", "first");
  auto big = pattern(5000, 1);
  store(c, "overwritten", big);
  expect_served(c, "overwritten", big);
  store(c, "overwritten", "third");
  expect_served(c, "overwritten", "third");
  EXPECT_EQ(counter(c, "entries"), entries + 1);
}

TEST_F(e2eCache, DeleteRemovesTheEntryOnce) {
  connection c{port()};
  store(c, "doomed", "bye");
  auto d = delete_entry(c, "doomed");
  EXPECT_EQ(d.status, 204) << d.body;
  EXPECT_EQ(d.body, "");
  expect_absent(c, "doomed");
  expect_error(delete_entry(c, "doomed"), 404, "not_found", "second DELETE");
}

TEST_F(e2eCache, UnknownKeyIs404) {
  connection c{port()};
  expect_absent(c, "never-stored");
  expect_error(delete_entry(c, "never-stored"), 404, "not_found", "DELETE");
}

// -- bad input is rejected and changes nothing --------------------------------

TEST_F(e2eCache, MissingOrEmptyKeyIs400) {
  connection c{port()};
  auto before = read_stats(c);
  for (const char* method : {"PUT", "GET", "DELETE"})
    for (const char* query : {"", "?", "?key=", "?key", "?ttl_seconds=5"})
      expect_error(c.request(method, entry_path + query, ""), 400,
                   "invalid_argument", method + (" " + entry_path) + query);
  EXPECT_EQ(read_stats(c), before);
}

TEST_F(e2eCache, MalformedPercentEscapeInKeyIs400) {
  connection c{port()};
  auto before = read_stats(c);
  for (const char* method : {"PUT", "GET", "DELETE"})
    for (const char* query : {"?key=%zz", "?key=abc%4", "?key=%"})
      expect_error(c.request(method, entry_path + query, "v"), 400,
                   "invalid_argument", method + (" " + entry_path) + query);
  EXPECT_EQ(read_stats(c), before);
}

TEST_F(e2eCache, KeyOver1024BytesIs400) {
  connection c{port()};
  store(c, std::string(1024, 'x'), "longest key");
  auto before = read_stats(c);
  // 1,025 bytes: ASCII, and multi-byte characters counted in bytes.
  const std::string ascii(1025, 'x');
  std::string utf8 = "y";
  for (int i = 0; i < 512; ++i)
    utf8 += "\xC3\xA9";
  for (const auto& key : {ascii, utf8}) {
    expect_error(put_entry(c, key, "v"), 400, "invalid_argument", "PUT");
    expect_error(get_entry(c, key), 400, "invalid_argument", "GET");
    expect_error(delete_entry(c, key), 400, "invalid_argument", "DELETE");
  }
  EXPECT_EQ(read_stats(c), before);
  expect_served(c, std::string(1024, 'x'), "longest key");
}

TEST_F(e2eCache, ValueOverMaxValueBytesIs413) {
  connection c{port()};
  store(c, "kept", "old value");
  auto before = read_stats(c);
  auto too_big = pattern(default_max_value + 1);
  expect_error(put_entry(c, "kept", too_big), 413, "payload_too_large",
               "overwrite");
  expect_error(put_entry(c, "oversized", too_big), 413, "payload_too_large",
               "new key");
  EXPECT_EQ(read_stats(c), before);
  expect_served(c, "kept", "old value");
  expect_absent(c, "oversized");
}

TEST_F(e2eCache, TtlThatIsNotAPositiveIntegerIs400) {
  connection c{port()};
  store(c, "ttl-kept", "old value");
  auto before = read_stats(c);
  for (const std::string ttl :
       {"0", "-1", "abc", "1.5", "", "4294967296", "18446744073709551616",
        "99999999999999999999999", "+1", " 1", "1 ", "1e3", "0x10"}) {
    auto what = "ttl_seconds='" + ttl + "'";
    auto target = entry_url("ttl-kept") + "&ttl_seconds=" + url_encode(ttl);
    expect_error(c.request("PUT", target, "new value"), 400, "invalid_argument",
                 what);
    target = entry_url("ttl-new") + "&ttl_seconds=" + url_encode(ttl);
    expect_error(c.request("PUT", target, "new value"), 400, "invalid_argument",
                 what);
  }
  EXPECT_EQ(read_stats(c), before);
  expect_served(c, "ttl-kept", "old value");
  expect_absent(c, "ttl-new");
}

TEST_F(e2eCache, LargestTtlIsAccepted) {
  connection c{port()};
  store(c, "ttl-max", "lives long", "4294967295");
  expect_served(c, "ttl-max", "lives long");
}

TEST_F(e2eCache, OtherMethodsAre405) {
  connection c{port()};
  auto before = read_stats(c);
  struct probe {
    const char* method;
    std::string target;
  };
  for (const auto& p : std::vector<probe>{{"POST", entry_url("m")},
                                          {"PATCH", entry_url("m")},
                                          {"POST", stats_path},
                                          {"PUT", stats_path},
                                          {"DELETE", stats_path}}) {
    auto r = c.request(p.method, p.target, "body");
    expect_error(r, 405, "method_not_allowed", p.method + (" " + p.target));
  }
  auto r = c.request("POST", entry_url("m"), "body");
  for (const char* verb : {"GET", "PUT", "DELETE"})
    EXPECT_NE(r.header("allow").find(verb), std::string::npos)
        << "Allow: " << r.header("allow");
  EXPECT_EQ(read_stats(c), before);
  expect_absent(c, "m");
}

// -- counters and metrics -----------------------------------------------------

TEST_F(e2eCache, StatsCountGetHitsAndMissesOnly) {
  connection c{port()};
  auto before = read_stats(c);
  auto delta = [&](const char* name) {
    return counter(c, name) - before[name].get<uint64_t>();
  };
  store(c, "counted", std::string(four_k_value, 'c'));
  for (int i = 0; i < 3; ++i)
    expect_served(c, "counted", std::string(four_k_value, 'c'));
  expect_absent(c, "counted-missing");
  expect_absent(c, "counted-missing");
  EXPECT_EQ(delta("hits"), 3u);
  EXPECT_EQ(delta("misses"), 2u);
  EXPECT_EQ(delta("entries"), 1u);
  EXPECT_EQ(delta("bytes"), four_k_charge);

  // PUT and DELETE are neither hits nor misses.
  store(c, "counted", std::string(four_k_value, 'd'));
  ASSERT_EQ(delete_entry(c, "counted").status, 204);
  ASSERT_EQ(delete_entry(c, "counted").status, 404);
  EXPECT_EQ(delta("hits"), 3u);
  EXPECT_EQ(delta("misses"), 2u);
  EXPECT_EQ(delta("entries"), 0u);
  EXPECT_EQ(delta("bytes"), 0u);
  expect_absent(c, "counted");
  EXPECT_EQ(delta("misses"), 3u);
}

TEST_F(e2eCache, StatsReportTheConfiguredCapacity) {
  connection c{port()};
  auto s = read_stats(c);
  ASSERT_TRUE(s.is_object()) << s;
  for (const char* name : {"entries", "bytes", "capacity_bytes", "hits",
                           "misses", "evictions", "expired"})
    EXPECT_TRUE(s[name].is_number_unsigned()) << name << " in " << s;
  EXPECT_EQ(s["capacity_bytes"], default_capacity);
  EXPECT_EQ(s["evictions"], 0u);
}

TEST(e2eCacheConfig, CapacityAndMaxValueBytesComeFromTheConfig) {
  node_process node{cache_config("shards = 4\n"
                                 "capacity_bytes = 1048576\n"
                                 "max_value_bytes = 1000\n")};
  ASSERT_TRUE(node.restart()); // start + wait until ready
  connection c{node.port()};
  EXPECT_EQ(counter(c, "capacity_bytes"), 1048576u);
  store(c, "at-limit", pattern(1000));
  expect_served(c, "at-limit", pattern(1000));
  expect_error(put_entry(c, "over-limit", pattern(1001)), 413,
               "payload_too_large", "1001 bytes");
  expect_absent(c, "over-limit");
  stop_cleanly(node);
}

TEST_F(e2eCache, MetricsMatchTheStats) {
  connection c{port()};
  store(c, "metered", "x");
  expect_served(c, "metered", "x");
  expect_absent(c, "metered-missing");
  auto s = read_stats(c);
  // The gauges are refreshed every sweep tick (100 ms).
  std::string text;
  bool matched = eventually([&] {
    text = c.request("GET", "/metrics").body;
    for (const char* name : {"entries", "bytes", "capacity_bytes", "hits",
                             "misses", "evictions", "expired"})
      if (metric_value(text, std::string{"troupe_cache_"} + name) !=
          s[name].get<double>())
        return false;
    return true;
  });
  EXPECT_TRUE(matched) << "stats " << s << "\nmetrics:\n" << text;
}

// -- concurrency --------------------------------------------------------------

namespace {

/// What one client of the concurrency test saw.
struct client_outcome {
  uint64_t keys_written = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  std::string error; // the first wrong answer, "" when none
};

/// Runs `ops` random PUTs and GETs on `keys` keys of its own over one
/// keep-alive connection, checking every GET against its last PUT.
client_outcome run_client(uint16_t port, int id, int ops, int keys) {
  client_outcome out;
  std::unordered_map<std::string, std::string> latest;
  uint32_t rng = 2654435761u * static_cast<uint32_t>(id + 1);
  auto next = [&rng] {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
  };
  try {
    connection c{port, 30s};
    for (int i = 0; i < ops && out.error.empty(); ++i) {
      auto key = "conc/" + std::to_string(id) + "/" +
                 std::to_string(next() % static_cast<uint32_t>(keys));
      auto op = "op " + std::to_string(i) + " on " + key;
      if (next() % 2 == 0) {
        auto value = op + " " + pattern(next() % 700, next());
        auto r = put_entry(c, key, value);
        if (r.status != 204)
          out.error = "PUT " + op + ": " + std::to_string(r.status);
        latest[key] = value;
        continue;
      }
      auto r = get_entry(c, key);
      auto last = latest.find(key);
      if (last == latest.end()) {
        ++out.misses;
        if (r.status != 404)
          out.error = "GET " + op + ": " + std::to_string(r.status) +
                      " for a key never written";
      } else {
        ++out.hits;
        if (r.status != 200 || r.body != last->second)
          out.error = "GET " + op + ": " + std::to_string(r.status) + ", " +
                      first_difference(r.body, last->second);
      }
    }
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  out.keys_written = latest.size();
  return out;
}

} // namespace

TEST_F(e2eCache, ConcurrentClientsReadTheirOwnLatestWrites) {
  constexpr int clients = 16;
  connection admin{port()};
  auto before = read_stats(admin);
  std::vector<client_outcome> results(clients);
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t)
    threads.emplace_back(
        [&, t] { results[t] = run_client(port(), t, 500, 8); });
  for (auto& t : threads)
    t.join();
  client_outcome sum;
  for (int t = 0; t < clients; ++t) {
    EXPECT_EQ(results[t].error, "") << "client " << t;
    sum.keys_written += results[t].keys_written;
    sum.hits += results[t].hits;
    sum.misses += results[t].misses;
  }
  auto after = read_stats(admin);
  auto delta = [&](const char* name) {
    return after[name].get<uint64_t>() - before[name].get<uint64_t>();
  };
  EXPECT_EQ(delta("entries"), sum.keys_written);
  EXPECT_EQ(delta("hits"), sum.hits);
  EXPECT_EQ(delta("misses"), sum.misses);
  EXPECT_EQ(delta("evictions"), 0u);
}

// -- TTL ----------------------------------------------------------------------

TEST(e2eCacheTtl, EntryIsServedUntilItsTtlPasses) {
  node_process node;
  ASSERT_TRUE(node.restart()); // start + wait until ready
  connection c{node.port()};
  auto sent = steady::now();
  store(c, "short-lived", "soon gone", "1");
  auto stored = steady::now();
  store(c, "permanent", "stays");
  // Served while the TTL surely has not passed (skipped on a stalled host).
  auto r = get_entry(c, "short-lived");
  if (steady::now() - sent < 800ms) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "soon gone");
  }
  // The expiry is set before the 204: 1 s after it, it has surely passed.
  std::this_thread::sleep_until(stored + 1200ms);
  expect_absent(c, "short-lived");
  expect_served(c, "permanent", "stays");
  auto s = read_stats(c);
  EXPECT_EQ(s["expired"], 1u) << s;
  EXPECT_EQ(s["entries"], 1u) << s;
  stop_cleanly(node);
}

TEST(e2eCacheTtl, ExpiredEntriesAreReclaimedWithoutBeingRead) {
  node_process node;
  ASSERT_TRUE(node.restart()); // start + wait until ready
  connection c{node.port()};
  for (int i = 0; i < 20; ++i)
    store(c, "unread/" + std::to_string(i), pattern(100, i), "1");
  store(c, "permanent", "stays");
  auto s = read_stats(c);
  EXPECT_EQ(s["entries"], 21u) << s;
  // The sweep (every 100 ms) removes them; nobody reads them.
  bool swept = eventually([&] { return counter(c, "expired") == 20; }, 6s);
  s = read_stats(c);
  EXPECT_TRUE(swept) << s;
  EXPECT_EQ(s["entries"], 1u) << s;
  EXPECT_EQ(s["misses"], 0u) << s;
  expect_served(c, "permanent", "stays");
  stop_cleanly(node);
}

TEST(e2eCacheTtl, OverwriteSetsTheTtlAnew) {
  node_process node;
  ASSERT_TRUE(node.restart()); // start + wait until ready
  connection c{node.port()};
  store(c, "ttl-then-none", "v1", "1");
  store(c, "ttl-then-none", "v2");
  store(c, "none-then-ttl", "w1");
  store(c, "none-then-ttl", "w2", "1");
  auto stored = steady::now();
  std::this_thread::sleep_until(stored + 1200ms);
  expect_served(c, "ttl-then-none", "v2");
  expect_absent(c, "none-then-ttl");
  stop_cleanly(node);
}

// -- LRU eviction under a byte budget -----------------------------------------

namespace {

/// One shard with a 64 KiB budget: fifteen 4 KiB entries fit.
const std::string small_budget = cache_config("shards = 1\n"
                                              "capacity_bytes = 65536\n");
constexpr uint64_t small_capacity = 65536;
constexpr size_t fitting_entries = small_capacity / four_k_charge; // 15

std::string lru_key(int i) {
  return "k" + std::to_string(i);
}

std::string lru_value(int i) {
  return pattern(four_k_value, static_cast<unsigned>(i));
}

} // namespace

TEST(e2eCacheLru, LeastRecentlyUsedEntriesAreEvictedFirst) {
  node_process node{small_budget};
  ASSERT_TRUE(node.restart()); // start + wait until ready
  connection c{node.port()};
  // k0..k9, then read k0 so that k1 is the oldest, then k10..k19.
  for (int i = 0; i < 10; ++i)
    store(c, lru_key(i), lru_value(i));
  expect_served(c, lru_key(0), lru_value(0));
  for (int i = 10; i < 20; ++i)
    store(c, lru_key(i), lru_value(i));

  // Least recently used first: k1..k9, k0, k10..k19; the last 15 stay.
  auto s = read_stats(c);
  EXPECT_EQ(s["entries"], fitting_entries) << s;
  EXPECT_EQ(s["evictions"], 20 - fitting_entries) << s;
  EXPECT_EQ(s["bytes"], fitting_entries * four_k_charge) << s;
  EXPECT_LE(s["bytes"].get<uint64_t>(), small_capacity) << s;
  EXPECT_EQ(s["capacity_bytes"], small_capacity) << s;
  for (int i = 1; i <= 5; ++i)
    expect_absent(c, lru_key(i));
  expect_served(c, lru_key(0), lru_value(0));
  for (int i = 6; i < 20; ++i)
    expect_served(c, lru_key(i), lru_value(i));
  stop_cleanly(node);
}

TEST(e2eCacheLru, EntryLargerThanTheShardBudgetIs413) {
  node_process node{small_budget};
  ASSERT_TRUE(node.restart()); // start + wait until ready
  connection c{node.port()};
  for (int i = 0; i < 10; ++i)
    store(c, lru_key(i), lru_value(i));
  auto before = read_stats(c);
  // Under max_value_bytes (1 MiB) but over the 64 KiB shard budget.
  expect_error(put_entry(c, "huge", pattern(70000)), 413, "payload_too_large",
               "new key");
  expect_error(put_entry(c, lru_key(3), pattern(70000)), 413,
               "payload_too_large", "overwrite");
  EXPECT_EQ(read_stats(c), before);
  for (int i = 0; i < 10; ++i)
    expect_served(c, lru_key(i), lru_value(i));
  stop_cleanly(node);
}

// -- warm restart -------------------------------------------------------------

namespace {

const std::string with_snapshot = cache_config("snapshot = true\n");

/// Replaces `from` by `to` in the node's config file (for its next start).
void edit_config(node_process& node, const std::string& from,
                 const std::string& to) {
  auto text = read_file(node.config_path());
  auto pos = text.find(from);
  ASSERT_NE(pos, std::string::npos) << text;
  write_file(node.config_path(), text.replace(pos, from.size(), to));
}

} // namespace

TEST(e2eCacheRestart, SnapshotBringsBackLiveEntriesButNotExpiredOnes) {
  node_process node{with_snapshot};
  ASSERT_TRUE(node.restart()); // start + wait until ready
  const std::map<std::string, std::string> live = {
      {"plain", "plain value"},
      {"empty", ""},
      {"binary", pattern(5000, 11)},
      {std::string("odd key \0 \xFF&=%", 14), "odd"},
      {"long-ttl", "an hour to live"},
  };
  steady::time_point expiry;
  {
    connection c{node.port()};
    store(c, "short-ttl", "gone after the restart", "2");
    expiry = steady::now() + 2s;
    for (const auto& [key, value] : live)
      store(c, key, value, key == "long-ttl" ? "3600" : "");
  }
  stop_cleanly(node);
  std::this_thread::sleep_until(expiry + 300ms);
  ASSERT_TRUE(node.restart());

  connection c{node.port()};
  EXPECT_EQ(counter(c, "entries"), live.size());
  for (const auto& [key, value] : live)
    expect_served(c, key, value);
  expect_absent(c, "short-ttl");
  stop_cleanly(node);
}

TEST(e2eCacheRestart, TtlKeepsRunningAcrossARestart) {
  node_process node{with_snapshot};
  ASSERT_TRUE(node.restart()); // start + wait until ready
  steady::time_point stored;
  {
    connection c{node.port()};
    store(c, "ttl-3s", "three seconds", "3");
    stored = steady::now();
  }
  stop_cleanly(node);
  ASSERT_TRUE(node.restart());
  connection c{node.port()};
  if (steady::now() - stored < 2500ms)
    expect_served(c, "ttl-3s", "three seconds");
  std::this_thread::sleep_until(stored + 3200ms);
  expect_absent(c, "ttl-3s");
  stop_cleanly(node);
}

TEST(e2eCacheRestart, WithoutSnapshotARestartedNodeStartsEmpty) {
  node_process node;
  ASSERT_TRUE(node.restart()); // start + wait until ready
  {
    connection c{node.port()};
    store(c, "volatile", "lost on restart");
  }
  stop_cleanly(node);
  ASSERT_TRUE(node.restart());
  connection c{node.port()};
  EXPECT_EQ(counter(c, "entries"), 0u);
  expect_absent(c, "volatile");
  stop_cleanly(node);
}

TEST(e2eCacheRestart, RunWithoutSnapshotDiscardsTheOlderSnapshot) {
  node_process node{with_snapshot};
  ASSERT_TRUE(node.restart()); // start + wait until ready
  {
    connection c{node.port()};
    store(c, "k", "v1");
  }
  stop_cleanly(node);

  // A run with snapshots off writes nothing: the old snapshot must not be
  // restored later, its values may be stale by then.
  edit_config(node, "snapshot = true", "snapshot = false");
  ASSERT_TRUE(node.restart());
  stop_cleanly(node);

  edit_config(node, "snapshot = false", "snapshot = true");
  ASSERT_TRUE(node.restart());
  connection c{node.port()};
  EXPECT_EQ(counter(c, "entries"), 0u);
  expect_absent(c, "k");
  stop_cleanly(node);
}

// Snapshots are stored per shard index: a run with fewer shards must drop
// those of the indexes it lacks, or a later run with the old shard count
// would restore values that were overwritten in between.
TEST(e2eCacheRestart, ShardCountChangeNeverBringsBackOverwrittenValues) {
  node_process node{cache_config("shards = 64\nsnapshot = true\n")};
  auto write_all = [&](const std::string& value) {
    connection c{node.port()};
    for (int i = 0; i < 16; ++i)
      store(c, "k" + std::to_string(i), value);
  };
  ASSERT_TRUE(node.restart()); // start + wait until ready
  write_all("v1");
  stop_cleanly(node);

  edit_config(node, "shards = 64", "shards = 32");
  ASSERT_TRUE(node.restart());
  write_all("v2");
  stop_cleanly(node);

  edit_config(node, "shards = 32", "shards = 64");
  ASSERT_TRUE(node.restart());
  connection c{node.port()};
  for (int i = 0; i < 16; ++i) {
    // A cache may lose entries on such a change, but never serve old ones.
    auto r = get_entry(c, "k" + std::to_string(i));
    if (r.status == 200)
      EXPECT_EQ(r.body, "v2") << "k" << i;
    else
      EXPECT_EQ(r.status, 404) << "k" << i << ": " << r.body;
  }
  stop_cleanly(node);
}
