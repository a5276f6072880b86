#include "doc_site.hpp"

#include "harness.hpp"
#include "test_certificates.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace troupe_e2e {

namespace {

/// Whether a regular file exists at `path`.
bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
bool accepts(uint16_t port) {
  try {
    connection probe{port, std::chrono::seconds(1)};
    return true;
  } catch (const io_error&) {
    return false;
  }
}

/// Replaces every `from` in `text` by `to`.
void replace_all(std::string& text, const std::string& from,
                 const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

/// The extension of the last segment of `path` (".html"), or "".
std::string extension(const std::string& path) {
  auto slash = path.rfind('/');
  auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "";
  auto ext = path.substr(dot);
  return ext.find_first_of("?#") == std::string::npos ? ext : "";
}

/// `path` without "?query".
std::string without_query(const std::string& path) {
  return path.substr(0, path.find('?'));
}

/// Removes "." and ".." segments of an absolute path (RFC 3986 5.2.4).
std::string remove_dots(const std::string& path) {
  auto query_at = path.find('?');
  auto plain = path.substr(0, query_at);
  auto query = query_at == std::string::npos ? "" : path.substr(query_at);
  std::vector<std::string> out;
  std::stringstream in{plain.substr(1)};
  std::string seg;
  bool trailing = !plain.empty() && plain.back() == '/';
  while (std::getline(in, seg, '/')) {
    if (seg == ".")
      continue;
    if (seg == "..") {
      if (!out.empty())
        out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  std::string result;
  for (auto& s : out)
    result += "/" + s;
  if (result.empty() || trailing)
    result += "/";
  return result + query;
}

/// Lower-cases ASCII letters.
std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

/// The href values of the `<a ...>` tags of `html`, in order.
std::vector<std::string> anchor_hrefs(const std::string& html) {
  std::vector<std::string> out;
  auto low = lower(html);
  for (size_t at = low.find("<a"); at != std::string::npos;
       at = low.find("<a", at + 2)) {
    char next = at + 2 < low.size() ? low[at + 2] : '\0';
    if (next != ' ' && next != '\t' && next != '\n' && next != '\r')
      continue;
    auto end = low.find('>', at);
    if (end == std::string::npos)
      break;
    auto tag = low.substr(at, end - at);
    for (size_t h = tag.find("href"); h != std::string::npos;
         h = tag.find("href", h + 4)) {
      char before = tag[h - 1];
      if (before != ' ' && before != '\t' && before != '\n' && before != '\r')
        continue;
      auto eq = tag.find_first_not_of(" \t\r\n", h + 4);
      if (eq == std::string::npos || tag[eq] != '=')
        continue;
      auto q = tag.find_first_not_of(" \t\r\n", eq + 1);
      if (q == std::string::npos || (tag[q] != '"' && tag[q] != '\''))
        continue;
      auto close = tag.find(tag[q], q + 1);
      if (close == std::string::npos)
        continue;
      // The original (not lower-cased) bytes of the value.
      out.push_back(html.substr(at + q + 1, close - q - 1));
      break;
    }
  }
  return out;
}

} // namespace

// -- text helpers ------------------------------------------------------------

std::string visible_text(const std::string& html) {
  // Block-level elements separate words; inline ones (a, span, code, ...)
  // do not, as in the crawler's HTML parse.
  static const std::set<std::string> blocks{
      "address", "article", "aside", "blockquote", "body",   "br",
      "caption", "dd",      "div",   "dl",         "dt",     "figcaption",
      "figure",  "footer",  "form",  "h1",         "h2",     "h3",
      "h4",      "h5",      "h6",    "head",       "header", "hr",
      "html",    "li",      "main",  "nav",        "ol",     "p",
      "pre",     "section", "table", "tbody",      "td",     "tfoot",
      "th",      "thead",   "title", "tr",         "ul"};
  std::string text;
  text.reserve(html.size());
  for (size_t at = 0; at < html.size();) {
    if (html[at] != '<') {
      text += html[at++];
      continue;
    }
    auto end = html.find('>', at);
    if (end == std::string::npos)
      break;
    auto name_at = html.find_first_not_of("/", at + 1);
    auto name_end = html.find_first_of(" \t\r\n/>", name_at);
    auto name = lower(html.substr(name_at, name_end - name_at));
    if (blocks.count(name) != 0)
      text += ' ';
    at = end + 1;
  }
  replace_all(text, "&nbsp;", " ");
  replace_all(text, "&lt;", "<");
  replace_all(text, "&gt;", ">");
  replace_all(text, "&quot;", "\"");
  replace_all(text, "&#39;", "'");
  replace_all(text, "&amp;", "&");
  return lower(text);
}

bool has_word(const std::string& text, const std::string& term) {
  auto word_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
  };
  for (size_t at = text.find(term); at != std::string::npos;
       at = text.find(term, at + 1)) {
    bool left = at == 0 || !word_char(text[at - 1]);
    auto after = at + term.size();
    bool right = after >= text.size() || !word_char(text[after]);
    if (left && right)
      return true;
  }
  return false;
}

// -- doc_site
// ------------------------------------------------------------------

std::string doc_site::doc_dir() {
  return "/usr/share/doc/postgresql-doc-15/html";
}

std::string doc_site::nginx_bin() {
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs{path};
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (!dir.empty() && ::access((dir + "/nginx").c_str(), X_OK) == 0)
        return dir + "/nginx";
  }
  return ::access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : "";
}

std::string doc_site::unavailable() {
  if (nginx_bin().empty())
    return "nginx is not installed (scripts/install-deps.sh installs it)";
  if (!is_file(doc_dir() + "/sql-select.html"))
    return doc_dir() + " is missing (Debian package postgresql-doc-15; "
                       "scripts/install-deps.sh installs it)";
  return "";
}

doc_site::doc_site(std::vector<site_spec> sites) : sites_(std::move(sites)) {
  for (size_t i = 0; i < sites_.size(); ++i)
    ports_.push_back(free_port());
  for (auto& site : sites_) {
    if (!site.disallow.empty()) {
      std::string robots = "User-agent: *\n";
      for (auto& prefix : site.disallow)
        robots += "Disallow: " + prefix + "\n";
      site.files["/robots.txt"] = robots;
    }
    for (auto* texts : {&site.files, &site.redirects})
      for (auto& [path, text] : *texts)
        for (size_t j = 0; j < sites_.size(); ++j)
          replace_all(text, "{SITE" + std::to_string(j) + "}", authority(j));
  }
  if (auto why = unavailable(); !why.empty()) {
    error_ = why;
    return;
  }
  prefix_ = make_temp_dir();
  if (!start())
    stop();
}

doc_site::~doc_site() {
  stop();
}

std::string doc_site::authority(size_t i) const {
  return "127.0.0.1:" + std::to_string(ports_.at(i));
}

std::string doc_site::url(size_t i, const std::string& path) const {
  return (sites_.at(i).tls ? "https://" : "http://") + authority(i) + path;
}

std::string doc_site::ca_file() const {
  for (const auto& site : sites_)
    if (site.tls)
      return prefix_ + "/tls/ca.pem";
  return {};
}

std::optional<site_path> doc_site::locate(const std::string& url) const {
  auto colon = url.find("://");
  if (colon == std::string::npos)
    return std::nullopt;
  auto scheme = lower(url.substr(0, colon));
  auto rest = url.substr(colon + 3);
  auto slash = rest.find_first_of("/?#");
  auto auth = lower(rest.substr(0, slash));
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  path = path.substr(0, path.find('#'));
  if (path.empty() || path[0] != '/')
    path = "/" + path;
  for (size_t i = 0; i < sites_.size(); ++i)
    if (auth == authority(i) && scheme == (sites_[i].tls ? "https" : "http"))
      return site_path{i, remove_dots(path)};
  return std::nullopt;
}

std::optional<std::string> doc_site::body(size_t i,
                                          const std::string& path) const {
  const auto& site = sites_.at(i);
  if (auto it = site.files.find(path); it != site.files.end())
    return it->second;
  if (!site.doc)
    return std::nullopt;
  auto plain = without_query(path);
  if (plain == "/")
    plain = "/index.html";
  if (plain.find("/..") != std::string::npos || !is_file(doc_dir() + plain))
    return std::nullopt;
  return read_file(doc_dir() + plain);
}

std::map<std::string, int> doc_site::fetches(size_t i) const {
  std::map<std::string, int> counts;
  if (prefix_.empty())
    return counts;
  std::stringstream in{
      read_file(prefix_ + "/site" + std::to_string(i) + ".log")};
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream fields{line};
    std::string port, uri;
    if (fields >> port >> uri)
      ++counts[uri];
  }
  return counts;
}

size_t doc_site::total_fetches() const {
  size_t n = 0;
  for (size_t i = 0; i < sites_.size(); ++i)
    for (auto& [path, count] : fetches(i))
      n += static_cast<size_t>(count);
  return n;
}

std::vector<site_path> doc_site::links(const site_path& from,
                                       const std::string& html) const {
  std::vector<site_path> out;
  auto dir = without_query(from.path);
  dir = dir.substr(0, dir.rfind('/') + 1);
  for (auto href : anchor_hrefs(html)) {
    replace_all(href, "&amp;", "&");
    href = href.substr(0, href.find('#'));
    if (href.empty())
      continue; // the page itself
    auto colon = href.find(':');
    auto first_special = href.find_first_of("/?#");
    std::optional<site_path> target;
    if (href.compare(0, 2, "//") == 0) {
      target = locate((sites_[from.site].tls ? "https:" : "http:") + href);
    } else if (colon != std::string::npos &&
               (first_special == std::string::npos || colon < first_special)) {
      target = locate(href); // a scheme: only URLs on the sites
    } else if (href[0] == '/') {
      target = site_path{from.site, remove_dots(href)};
    } else if (href[0] == '?') {
      target = site_path{from.site, without_query(from.path) + href};
    } else {
      target = site_path{from.site, remove_dots(dir + href)};
    }
    if (target)
      out.push_back(*target);
  }
  return out;
}

bool doc_site::disallowed(size_t i, const std::string& path) const {
  if (path == "/robots.txt")
    return false;
  for (auto& prefix : sites_.at(i).disallow)
    if (path.compare(0, prefix.size(), prefix) == 0)
      return true;
  return false;
}

crawl_plan doc_site::plan(const std::vector<std::string>& seeds,
                          const std::set<size_t>& allowed,
                          int max_depth) const {
  crawl_plan result;
  std::set<site_path> seen;
  std::deque<std::pair<site_path, int>> queue;
  for (auto& seed : seeds)
    if (auto at = locate(seed); at && seen.insert(*at).second)
      queue.emplace_back(*at, 0);
  while (!queue.empty()) {
    auto [at, depth] = queue.front();
    queue.pop_front();
    if (disallowed(at.site, at.path)) {
      result.disallowed.insert(at);
      continue;
    }
    result.fetched[at] = depth;
    result.deepest = std::max(result.deepest, depth);
    auto text = body(at.site, at.path);
    if (!text || extension(without_query(at.path)) != ".html")
      continue;
    for (auto& link : links(at, *text)) {
      if (allowed.count(link.site) == 0 || !seen.insert(link).second)
        continue;
      if (depth + 1 > max_depth)
        result.beyond_depth.insert(link);
      else
        queue.emplace_back(link, depth + 1);
    }
  }
  return result;
}

std::string doc_site::error_log() const {
  return prefix_.empty() ? "" : read_file(prefix_ + "/error.log");
}

std::string doc_site::config() const {
  std::ostringstream c;
  c << "master_process off;\n"
    << "pid " << prefix_ << "/nginx.pid;\n"
    << "error_log " << prefix_ << "/error.log warn;\n"
    << "events { worker_connections 256; }\n"
    << "http {\n"
    << "  types { text/html html; text/plain txt; text/css css;\n"
    << "          image/svg+xml svg; }\n"
    << "  default_type application/octet-stream;\n"
    << "  client_body_temp_path " << prefix_ << "/tmp/body;\n"
    << "  proxy_temp_path " << prefix_ << "/tmp/proxy;\n"
    << "  fastcgi_temp_path " << prefix_ << "/tmp/fastcgi;\n"
    << "  uwsgi_temp_path " << prefix_ << "/tmp/uwsgi;\n"
    << "  scgi_temp_path " << prefix_ << "/tmp/scgi;\n"
    << "  log_format troupe '$server_port $request_uri $status';\n"
    << "  sendfile on;\n"
    << "  keepalive_timeout 30s;\n";
  for (size_t i = 0; i < sites_.size(); ++i) {
    auto dir = prefix_ + "/site" + std::to_string(i);
    c << "  server {\n"
      << "    listen 127.0.0.1:" << ports_[i] << (sites_[i].tls ? " ssl" : "")
      << ";\n"
      << "    access_log " << dir << ".log troupe;\n"
      << "    root " << (sites_[i].doc ? doc_dir() : dir + "/empty") << ";\n";
    if (sites_[i].tls)
      c << "    ssl_certificate " << prefix_ << "/tls/server.pem;\n"
        << "    ssl_certificate_key " << prefix_ << "/tls/server.key;\n";
    size_t n = 0;
    for (auto& [path, text] : sites_[i].files)
      c << "    location = " << path << " { alias " << dir << "/f" << n++
        << extension(path) << "; }\n";
    for (auto& [path, target] : sites_[i].redirects)
      c << "    location = " << path << " { return 301 " << target << "; }\n";
    c << "  }\n";
  }
  c << "}\n";
  return c.str();
}

bool doc_site::set_file(size_t i, const std::string& path,
                        const std::string& body) {
  auto& files = sites_.at(i).files;
  auto it = files.find(path);
  if (it == files.end() || prefix_.empty())
    return false;
  it->second = body;
  auto n = std::distance(files.begin(), it);
  auto target = prefix_ + "/site" + std::to_string(i) + "/f" +
                std::to_string(n) + extension(path);
  // Renamed into place, so nginx never serves half of it.
  write_file(target + ".new", body);
  return std::rename((target + ".new").c_str(), target.c_str()) == 0;
}

bool doc_site::start() {
  ::mkdir((prefix_ + "/tmp").c_str(), 0700);
  if (!ca_file().empty()) {
    ::mkdir((prefix_ + "/tls").c_str(), 0700);
    if (auto why = make_certificates(prefix_ + "/tls"); !why.empty()) {
      error_ = why;
      return false;
    }
  }
  for (size_t i = 0; i < sites_.size(); ++i) {
    auto dir = prefix_ + "/site" + std::to_string(i);
    ::mkdir(dir.c_str(), 0755);
    ::mkdir((dir + "/empty").c_str(), 0755);
    size_t n = 0;
    for (auto& [path, text] : sites_[i].files)
      write_file(dir + "/f" + std::to_string(n++) + extension(path), text);
  }
  auto conf = prefix_ + "/nginx.conf";
  write_file(conf, config());
  std::vector<std::string> argv{nginx_bin(),
                                "-p",
                                prefix_,
                                "-c",
                                conf,
                                "-e",
                                prefix_ + "/error.log",
                                "-g",
                                "daemon off;"};
  auto err_path = prefix_ + "/stderr.log";
  spawn_options opts;
  opts.out_path = err_path;
  opts.die_with_parent = true;
  pid_ = spawn_process(argv, opts);
  if (pid_ < 0) {
    error_ = std::string{"fork: "} + std::strerror(errno);
    return false;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  size_t ready = 0;
  while (ready < ports_.size()) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "nginx exited (status " + std::to_string(status) +
               "): " + read_file(err_path) + error_log();
      return false;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      error_ = "nginx did not listen within 10 s: " + read_file(err_path) +
               error_log();
      return false;
    }
    if (accepts(ports_[ready]))
      ++ready;
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void doc_site::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  if (!prefix_.empty())
    remove_tree(prefix_);
  prefix_.clear();
}

} // namespace troupe_e2e
