// A static web site for the crawler's end-to-end tests: the PostgreSQL 15
// documentation (Debian package postgresql-doc-15, ~1170 flat HTML pages)
// and small generated pages, served by a real nginx on loopback under
// several ports. Each port is one crawler "host" (URL authority
// 127.0.0.1:<port>). Every request is logged as "$server_port $request_uri
// $status", one access log per site, so tests can count fetches per path.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace troupe_e2e {

/// What one site (one port) serves.
struct site_spec {
  /// Serve the documentation directory (`doc_site::doc_dir()`) at "/".
  bool doc = false;
  /// Generated files: exact path ("/start.html") -> body. A body may name
  /// another site of the same `doc_site` as `{SITE0}`, `{SITE1}`, ... (its
  /// authority "127.0.0.1:<port>"), replaced before it is served. These
  /// paths win over the documentation's.
  std::map<std::string, std::string> files;
  /// Path prefixes disallowed for every user agent by a generated
  /// /robots.txt; empty: no /robots.txt (nginx answers 404, "allow all").
  std::vector<std::string> disallow;
  /// Exact path -> where it redirects (301; `{SITEn}` replaced as in
  /// `files`).
  std::map<std::string, std::string> redirects;
  /// Serve https (a certificate for 127.0.0.1 signed by a CA made for the
  /// fixture, `doc_site::ca_file()`) instead of http.
  bool tls = false;
};

/// One URL split into the site it is on and its path (with query).
struct site_path {
  /// Index of the site in the `doc_site`.
  size_t site = 0;
  /// "/path?query" without fragment.
  std::string path;

  bool operator<(const site_path& o) const {
    return site != o.site ? site < o.site : path < o.path;
  }
  bool operator==(const site_path& o) const {
    return site == o.site && path == o.path;
  }
  /// For test messages: "site <i> <path>".
  friend std::ostream& operator<<(std::ostream& os, const site_path& p) {
    return os << "site " << p.site << " " << p.path;
  }
};

/// What a crawl from some seeds should do, computed from the served files
/// (see `doc_site::plan`).
struct crawl_plan {
  /// Pages the crawler should request, with their (breadth-first) depth:
  /// existing or not (a missing one answers 404), HTML or not.
  std::map<site_path, int> fetched;
  /// Discovered pages that robots.txt disallows: never requested.
  std::set<site_path> disallowed;
  /// Discovered pages one link beyond max_depth: never requested.
  std::set<site_path> beyond_depth;
  /// Largest depth of a fetched page.
  int deepest = 0;
};

/// The nginx child process, its temp prefix and its sites. Starts in the
/// constructor (check `error()`), and on destruction (or `stop()`) kills
/// nginx and removes the prefix. nginx also dies with the test process
/// (PR_SET_PDEATHSIG).
///
/// Usage:
/// ```cpp
/// if (auto why = doc_site::unavailable(); !why.empty())
///   GTEST_SKIP() << why;
/// doc_site site{{site_spec{true, {{"/robots.txt", "..."}}}, site_spec{}}};
/// ASSERT_TRUE(site.error().empty()) << site.error();
/// auto url = site.url(0, "/index.html");
/// auto counts = site.fetches(0); // path -> number of requests
/// ```
class doc_site {
public:
  /// The documentation directory (/usr/share/doc/postgresql-doc-15/html).
  static std::string doc_dir();

  /// The nginx binary (nginx on PATH, else /usr/sbin/nginx), or "" when
  /// there is none.
  static std::string nginx_bin();

  /// Why the fixture cannot run here ("" when it can): no nginx, or no
  /// documentation directory. For GTEST_SKIP.
  static std::string unavailable();

  /// Writes the prefix, starts nginx and waits (at most 10 s) until every
  /// port accepts connections.
  explicit doc_site(std::vector<site_spec> sites);
  ~doc_site();
  doc_site(const doc_site&) = delete;
  doc_site& operator=(const doc_site&) = delete;

  /// Why nginx did not start ("" when it runs).
  const std::string& error() const { return error_; }

  /// Number of sites.
  size_t size() const { return sites_.size(); }
  /// Port of site `i`.
  uint16_t port(size_t i) const { return ports_.at(i); }
  /// Authority of site `i`: "127.0.0.1:<port>".
  std::string authority(size_t i) const;
  /// The CA that signed the https sites' certificate (PEM), or "" when no
  /// site serves https.
  std::string ca_file() const;
  /// "http://127.0.0.1:<port><path>" ("https://" for a tls site).
  std::string url(size_t i, const std::string& path) const;
  /// The site and path of an absolute http URL on one of the sites, or
  /// nullopt (another host, another scheme, not a URL).
  std::optional<site_path> locate(const std::string& url) const;

  /// The body nginx serves for `path` on site `i`, or nullopt for a 404.
  std::optional<std::string> body(size_t i, const std::string& path) const;

  /// path -> number of requests site `i` logged so far (any method,
  /// any status). nginx logs a request just after it sent the answer: a
  /// request answered a moment ago may not be counted yet.
  std::map<std::string, int> fetches(size_t i) const;
  /// Requests logged so far by all sites.
  size_t total_fetches() const;

  /// What a crawl from `seeds` (absolute URLs on the sites) within
  /// `allowed` sites and `max_depth` should request: a breadth-first walk
  /// over the `<a href="...">` links of the served HTML bodies (relative
  /// links resolved, fragments dropped, other hosts and schemes left),
  /// robots.txt disallow prefixes respected. A seed has depth 0.
  crawl_plan plan(const std::vector<std::string>& seeds,
                  const std::set<size_t>& allowed, int max_depth) const;

  /// The `<a href>` links of an HTML body served at `from`, resolved, on
  /// any of the sites (links to other hosts are left out).
  std::vector<site_path> links(const site_path& from,
                               const std::string& html) const;

  /// Replaces the body of generated file `path` of site `i` (given in its
  /// `site_spec::files`): nginx serves the new body from the next request.
  /// Returns false for a path that is not a generated file.
  bool set_file(size_t i, const std::string& path, const std::string& body);

  /// Whether site `i`'s robots.txt disallows `path`.
  bool disallowed(size_t i, const std::string& path) const;

  /// Everything nginx wrote to its error log.
  std::string error_log() const;

  /// Kills nginx (SIGKILL, reaped) and removes the prefix; idempotent.
  void stop();

private:
  bool start();
  std::string config() const;

  std::vector<site_spec> sites_;
  std::vector<uint16_t> ports_;
  std::string prefix_;
  std::string error_;
  pid_t pid_ = -1;
};

/// The text of an HTML body as a reader sees it: tags removed (those of
/// block-level elements and <br> a space, inline ones nothing), common
/// entities decoded, ASCII lower-cased.
std::string visible_text(const std::string& html);

/// Whether `text` (as from `visible_text`) contains `term` as a whole word,
/// as the crawler's `terms_of` cuts words: delimited by ASCII bytes other
/// than letters and digits (bytes >= 0x80, e.g. the UTF-8 of a curly
/// quote, belong to the word: in "“autovacuum”" there is no "autovacuum").
bool has_word(const std::string& text, const std::string& term);

} // namespace troupe_e2e
