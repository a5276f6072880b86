#include "harness.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace troupe_e2e {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return s;
}

std::string trim(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t'))
    ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
    --e;
  return s.substr(b, e - b);
}

void replace_all(std::string& text, const std::string& from,
                 const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
}

} // namespace

// -- http_response -----------------------------------------------------------

std::string http_response::header(const std::string& name) const {
  auto i = headers.find(lower(name));
  return i == headers.end() ? std::string{} : i->second;
}

json http_response::body_json() const {
  return json::parse(body, nullptr, false);
}

std::string http_response::error_code() const {
  auto j = body_json();
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("code") && j["error"]["code"].is_string())
    return j["error"]["code"].get<std::string>();
  return {};
}

// -- connection --------------------------------------------------------------

connection::connection(uint16_t port, std::chrono::milliseconds timeout,
                       const std::string& host)
    : host_(host) {
  in_addr ip{};
  if (::inet_pton(AF_INET, host.c_str(), &ip) != 1)
    throw io_error("not an IPv4 address: " + host);
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw io_error(std::string{"socket: "} + std::strerror(errno));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr = ip;
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    auto err = std::string{"connect: "} + std::strerror(errno);
    close_fd();
    throw io_error(err);
  }
}

connection::~connection() {
  close_fd();
}

void connection::close_fd() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

void connection::send_all(const std::string& bytes) {
  if (fd_ < 0)
    throw io_error("connection closed");
  size_t off = 0;
  while (off < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      // The server may answer (e.g. 413) and stop reading before the whole
      // request is sent; stop sending and try to read what it said.
      if (errno == EPIPE || errno == ECONNRESET)
        return;
      throw io_error(std::string{"send: "} + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
}

bool connection::fill() {
  char tmp[65536];
  for (;;) {
    auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw io_error(std::string{"recv: "} + std::strerror(errno));
    if (n == 0)
      return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
}

http_response connection::read_response(bool head_request) {
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!fill())
      throw io_error("EOF before response header");
  http_response res;
  std::istringstream head{buf_.substr(0, end)};
  buf_.erase(0, end + 4);
  std::string line;
  std::getline(head, line);
  {
    // HTTP/1.1 200 OK
    auto sp1 = line.find(' ');
    if (sp1 == std::string::npos || line.compare(0, 5, "HTTP/") != 0)
      throw io_error("bad status line: " + line);
    auto sp2 = line.find(' ', sp1 + 1);
    res.status = std::atoi(line.substr(sp1 + 1, sp2 - sp1 - 1).c_str());
    if (sp2 != std::string::npos)
      res.reason = trim(line.substr(sp2 + 1));
  }
  while (std::getline(head, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    res.headers[lower(trim(line.substr(0, colon)))] =
        trim(line.substr(colon + 1));
  }
  bool no_body = head_request || res.status == 204 || res.status == 304 ||
                 (res.status >= 100 && res.status < 200);
  bool close = lower(res.header("connection")) == "close";
  if (no_body) {
    // nothing
  } else if (lower(res.header("transfer-encoding")).find("chunked") !=
             std::string::npos) {
    for (;;) {
      size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos)
        if (!fill())
          throw io_error("EOF in chunk size");
      auto size = std::strtoul(buf_.substr(0, eol).c_str(), nullptr, 16);
      buf_.erase(0, eol + 2);
      if (size == 0) {
        // trailers until an empty line
        for (;;) {
          while ((eol = buf_.find("\r\n")) == std::string::npos)
            if (!fill())
              throw io_error("EOF in trailers");
          bool empty = eol == 0;
          buf_.erase(0, eol + 2);
          if (empty)
            break;
        }
        break;
      }
      while (buf_.size() < size + 2)
        if (!fill())
          throw io_error("EOF in chunk");
      res.body.append(buf_, 0, size);
      buf_.erase(0, size + 2);
    }
  } else if (!res.header("content-length").empty()) {
    auto len = std::strtoull(res.header("content-length").c_str(), nullptr, 10);
    while (buf_.size() < len)
      if (!fill())
        throw io_error("EOF in body");
    res.body = buf_.substr(0, len);
    buf_.erase(0, len);
  } else {
    // Body delimited by EOF.
    while (fill()) {
    }
    res.body = std::move(buf_);
    buf_.clear();
    close = true;
  }
  if (close)
    close_fd();
  return res;
}

http_response connection::request(const std::string& method,
                                  const std::string& target,
                                  const std::string& body,
                                  const header_list& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\n";
  req += "Host: " + host_ + "\r\n";
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    has_length = has_length || lower(k) == "content-length";
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT"))
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  try {
    send_all(req);
    return read_response(method == "HEAD");
  } catch (...) {
    close_fd();
    throw;
  }
}

http_response connection::next_response() {
  try {
    return read_response(false);
  } catch (...) {
    close_fd();
    throw;
  }
}

http_response connection::raw(const std::string& bytes) {
  try {
    send_all(bytes);
    return read_response(false);
  } catch (...) {
    close_fd();
    throw;
  }
}

http_response request(uint16_t port, const std::string& method,
                      const std::string& target, const std::string& body,
                      const header_list& headers) {
  connection c{port};
  return c.request(method, target, body, headers);
}

http_response post_json(connection& c, const std::string& target,
                        const std::string& body) {
  return c.request("POST", target, body,
                   {{"Content-Type", "application/json; charset=utf-8"}});
}

http_response post_json(uint16_t port, const std::string& target,
                        const std::string& body) {
  connection c{port};
  return post_json(c, target, body);
}

// -- helpers -----------------------------------------------------------------

namespace {

/// Test servers listen below the kernel's ephemeral range (32768-60999 on
/// Linux): no outgoing connection of any process can take such a port
/// between a test picking it and its server binding it.
constexpr uint16_t first_test_port = 20000;
constexpr uint16_t last_test_port = 32000;
constexpr const char* port_dir = "/tmp/troupe-test-ports";

/// Whether nothing is bound to 127.0.0.1:`port` right now.
bool bindable(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw io_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

/// Whether the reservation file `path` names a process that still runs.
bool held_by_live_process(const std::string& path) {
  std::ifstream in{path};
  long pid = 0;
  if (!(in >> pid) || pid <= 0)
    return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

/// The ports this process reserved; their files go when it exits (a killed
/// test leaves them to be found stale by the next one).
struct port_reservations {
  std::set<uint16_t> ports;
  ~port_reservations() {
    for (auto port : ports)
      ::unlink((std::string{port_dir} + "/" + std::to_string(port)).c_str());
  }
};

/// Reserves `port` across the test processes that run side by side (CTest
/// -j): a file named after it holds the owner's pid.
bool reserve(uint16_t port) {
  ::mkdir(port_dir, 01777);
  auto path = std::string{port_dir} + "/" + std::to_string(port);
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd =
        ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
      auto pid = std::to_string(::getpid());
      bool written = ::write(fd, pid.data(), pid.size()) ==
                     static_cast<ssize_t>(pid.size());
      ::close(fd);
      return written;
    }
    if (errno != EEXIST || held_by_live_process(path))
      return false;
    ::unlink(path.c_str()); // stale: its process is gone
  }
  return false;
}

} // namespace

uint16_t free_port() {
  // A port given once is never given again by this process, nor by another
  // test process while this one runs (a cluster needs six at once).
  static std::mutex mtx;
  static port_reservations given;
  static std::mt19937 rng{std::random_device{}()};
  std::lock_guard<std::mutex> guard{mtx};
  std::uniform_int_distribution<int> pick{first_test_port, last_test_port};
  for (int i = 0; i < 5000; ++i) {
    auto port = static_cast<uint16_t>(pick(rng));
    if (given.ports.count(port) != 0 || !bindable(port) || !reserve(port))
      continue;
    given.ports.insert(port);
    return port;
  }
  throw io_error("no free test port in 20000-32000");
}

std::string chunked_post(const std::string& target,
                         const std::string& content_type,
                         const std::vector<std::string>& chunks) {
  std::string req = "POST " + target +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: " +
                    content_type + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const auto& chunk : chunks) {
    if (chunk.empty())
      continue;
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    req += size + chunk + "\r\n";
  }
  return req + "0\r\n\r\n";
}

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string utc_month() {
  auto now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m", &tm);
  return buf;
}

double metric_value(const std::string& text, const std::string& series) {
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, series.size(), series) == 0 &&
        line.size() > series.size() && line[series.size()] == ' ')
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
  }
  return -1;
}

std::string troupe_bin() {
  const char* bin = std::getenv("TROUPE_BIN");
  return bin ? bin : "";
}

std::string make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string{tmp && *tmp ? tmp : "/tmp"} + "/troupe-e2e-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error(std::string{"mkdtemp: "} + std::strerror(errno));
  return buf.data();
}

void remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..")
          remove_tree(path + "/" + name);
      }
      ::closedir(d);
    }
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail_lines(const std::string& text, size_t n) {
  size_t pos = text.size();
  for (size_t seen = 0; pos > 0 && seen <= n;)
    if (text[--pos] == '\n')
      ++seen;
  return pos == 0 ? text : text.substr(pos + 1);
}

namespace {

/// A log line without its timestamp, numbers folded to `#` and words
/// followed by `/#` (a service's shard) to `S/#`.
std::string line_kind(const std::string& line) {
  auto start = line.find(' ');
  std::string out;
  for (size_t i = start == std::string::npos ? 0 : start + 1; i < line.size();
       ++i) {
    auto c = line[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (out.empty() || out.back() != '#')
        out += '#';
    } else {
      out += c;
    }
  }
  for (size_t at = out.find("/#"); at != std::string::npos;
       at = out.find("/#", at + 2)) {
    auto begin = at;
    while (begin > 0 &&
           (std::isalpha(static_cast<unsigned char>(out[begin - 1])) ||
            out[begin - 1] == '_'))
      --begin;
    out.replace(begin, at - begin, "S");
    at = begin;
  }
  return out.size() > 160 ? out.substr(0, 160) : out;
}

} // namespace

std::string log_digest(const std::string& log, size_t tail) {
  std::map<std::string, size_t> kinds;
  std::vector<std::string> others;
  std::istringstream in{log};
  for (std::string line; std::getline(in, line);) {
    ++kinds[line_kind(line)];
    bool warn = line.find(" WARN ") != std::string::npos ||
                line.find(" ERROR ") != std::string::npos;
    if (warn && line.find(" failover: ") == std::string::npos)
      others.push_back(line);
  }
  std::vector<std::pair<size_t, std::string>> by_count;
  for (auto& [kind, n] : kinds)
    by_count.emplace_back(n, kind);
  std::sort(by_count.rbegin(), by_count.rend());
  std::ostringstream out;
  out << "  most frequent lines:\n";
  for (size_t i = 0; i < by_count.size() && i < 12; ++i)
    out << "  " << by_count[i].first << " x " << by_count[i].second << "\n";
  out << "  last warnings outside failover:\n";
  for (size_t i = others.size() > 15 ? others.size() - 15 : 0;
       i < others.size(); ++i)
    out << "  " << others[i] << "\n";
  out << "  last " << tail << " lines:\n" << tail_lines(log, tail);
  return out.str();
}

int spawn_process(const std::vector<std::string>& argv,
                  const spawn_options& opts) {
  if (argv.empty()) {
    errno = EINVAL;
    return -1;
  }
  std::vector<std::string> copy = argv;
  std::vector<char*> cargs;
  for (auto& a : copy)
    cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid != 0)
    return pid;
  if (opts.die_with_parent)
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (opts.own_group)
    ::setpgid(0, 0);
  // O_CLOEXEC: only the dup2'ed copies 0, 1 and 2 reach the program.
  constexpr int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out =
      opts.out_fd >= 0
          ? opts.out_fd
          : ::open(opts.out_path.empty() ? "/dev/null" : opts.out_path.c_str(),
                   flags, 0644);
  int err =
      opts.err_path.empty() ? out : ::open(opts.err_path.c_str(), flags, 0644);
  if (in < 0 || out < 0 || err < 0 ||
      (!opts.cwd.empty() && ::chdir(opts.cwd.c_str()) != 0))
    ::_exit(126);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  if (opts.search_path)
    ::execvp(cargs[0], cargs.data());
  else
    ::execv(cargs[0], cargs.data());
  std::fprintf(stderr, "exec %s: %s\n", cargs[0], std::strerror(errno));
  ::_exit(127);
}

int wait_exit(int pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return status;
    if (r < 0 && errno != EINTR)
      return -1;
    if (std::chrono::steady_clock::now() > deadline)
      return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

run_result run_binary(const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout) {
  auto dir = make_temp_dir();
  std::vector<std::string> argv{troupe_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  run_result r;
  spawn_options opts;
  opts.out_path = dir + "/out";
  opts.err_path = dir + "/err";
  int pid = spawn_process(argv, opts);
  r.status = wait_exit(pid, timeout);
  if (r.status == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  r.out = read_file(dir + "/out");
  r.err = read_file(dir + "/err");
  remove_tree(dir);
  return r;
}

// -- node_process ------------------------------------------------------------

node_process::node_process(std::string config_text,
                           std::vector<std::string> extra_args) {
  dir_ = make_temp_dir();
  data_dir_ = dir_ + "/data";
  ::mkdir(data_dir_.c_str(), 0755);
  log_path_ = dir_ + "/node.log";
  port_ = free_port();
  args_ = {troupe_bin(), "run"};
  if (!config_text.empty()) {
    replace_all(config_text, "{PORT}", std::to_string(port_));
    replace_all(config_text, "{ACTOR_PORT}", std::to_string(free_port()));
    replace_all(config_text, "{DATA_DIR}", data_dir_);
    config_path_ = dir_ + "/troupe.toml";
    write_file(config_path_, config_text);
    args_.push_back("--config");
    args_.push_back(config_path_);
  }
  args_.push_back("--http");
  args_.push_back("127.0.0.1:" + std::to_string(port_));
  args_.push_back("--data-dir");
  args_.push_back(data_dir_);
  args_.insert(args_.end(), extra_args.begin(), extra_args.end());
}

node_process::~node_process() {
  if (pid_ > 0)
    kill9();
  if (!::testing::Test::HasFailure() ||
      std::getenv("TROUPE_E2E_KEEP") == nullptr)
    remove_tree(dir_);
}

void node_process::start() {
  if (pid_ > 0)
    throw std::logic_error("node already running");
  if (troupe_bin().empty())
    throw std::runtime_error("TROUPE_BIN is not set");
  write_file(log_path_, read_file(log_path_) + "---- start ----\n");
  spawn_options opts;
  opts.out_path = log_path_;
  pid_ = spawn_process(args_, opts);
}

bool node_process::wait_ready(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int last = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << "troupe exited (status " << status
                    << ") before ready; log:\n"
                    << log();
      return false;
    }
    try {
      connection c{port_, std::chrono::seconds(2)};
      auto r = c.request("GET", "/readyz");
      last = r.status;
      if (r.status == 200)
        return true;
    } catch (const io_error&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ADD_FAILURE() << "troupe not ready within " << timeout.count()
                << " ms (last /readyz status " << last << "); log:\n"
                << log();
  return false;
}

int node_process::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGTERM);
  int status = troupe_e2e::wait_exit(pid_, timeout);
  if (status == -1) {
    ADD_FAILURE() << "troupe did not exit within " << timeout.count()
                  << " ms of SIGTERM; log:\n"
                  << log();
    return kill9();
  }
  pid_ = -1;
  return status;
}

int node_process::kill9() {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int node_process::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  int status = troupe_e2e::wait_exit(pid_, timeout);
  if (status != -1)
    pid_ = -1;
  return status;
}

bool node_process::restart() {
  start();
  return wait_ready();
}

std::string node_process::log() const {
  return read_file(log_path_);
}

} // namespace troupe_e2e
