// Loads N entries into the troupe cache (HTTP PUT) or into Redis (RESP SET)
// over C persistent connections, each with up to D pipelined requests.
// Keys are `prefix` + the zero-padded index 0..N-1, exactly --key-bytes long
// (prefix "key:" and 16 bytes give redis-benchmark's `key:000000001234`);
// values are --value-bytes of 'v'. Progress goes to stderr once a second;
// the last line on stdout is `loaded N entries in S s (R/s)`. Any unexpected
// reply (HTTP status other than 204, Redis reply other than +OK) ends the
// program with a message and exit code 1.
//
// Usage: cache_load_bench (--http HOST:PORT | --redis HOST:PORT) [--count N]
//   [--connections C] [--key-bytes K] [--value-bytes V] [--prefix P]
//   [--pipeline D]   (defaults: 100000 entries, 4 connections, 50 B keys,
//   270 B values, prefix "key:", pipeline 16)
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct options {
  bool http = true;
  std::string host, port;
  long count = 100000, connections = 4, key_bytes = 50, value_bytes = 270;
  long pipeline = 16;
  std::string prefix = "key:";
};

// Reports and ends the whole process (also from a worker thread).
[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "cache_load_bench: %s\n", what.c_str());
  std::_Exit(EXIT_FAILURE);
}

const char* const usage =
    "usage: cache_load_bench (--http|--redis) HOST:PORT [--count N] "
    "[--connections C] [--key-bytes K] [--value-bytes V] [--prefix P] "
    "[--pipeline D]";

long number(std::string_view flag, const std::string& text) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 1)
    fail("bad value for " + std::string{flag} + ": " + text);
  return v;
}

options parse(int argc, char** argv) {
  options o;
  const std::pair<std::string_view, long*> numbers[] = {
      {"--count", &o.count},
      {"--connections", &o.connections},
      {"--key-bytes", &o.key_bytes},
      {"--value-bytes", &o.value_bytes},
      {"--pipeline", &o.pipeline}};
  if (argc % 2 == 0)
    fail(usage);
  for (int i = 1; i < argc; i += 2) {
    std::string_view flag = argv[i];
    const std::string v = argv[i + 1];
    auto num = std::find_if(std::begin(numbers), std::end(numbers),
                            [&](auto& n) { return n.first == flag; });
    auto colon = v.rfind(':');
    if (num != std::end(numbers)) {
      *num->second = number(flag, v);
    } else if (flag == "--prefix") {
      o.prefix = v;
    } else if ((flag == "--http" || flag == "--redis") && colon + 1 > 1) {
      o.http = flag == "--http";
      o.host = v.substr(0, colon);
      o.port = v.substr(colon + 1);
    } else {
      fail("bad option " + std::string{flag} + " " + v + "\n" + usage);
    }
  }
  if (o.host.empty())
    fail(usage);
  auto digits = std::to_string(o.count - 1).size();
  if (o.prefix.size() + digits > static_cast<size_t>(o.key_bytes))
    fail("--key-bytes " + std::to_string(o.key_bytes) +
         " cannot hold prefix '" + o.prefix + "' and " +
         std::to_string(digits) + " digits");
  return o;
}

std::string make_key(const options& o, long index) {
  std::string digits = std::to_string(index);
  std::string key = o.prefix;
  key.append(o.key_bytes - o.prefix.size() - digits.size(), '0');
  return key + digits;
}

std::string percent_encode(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void append_request(const options& o, std::string& out, const std::string& key,
                    const std::string& value) {
  if (o.http) {
    out += "PUT /cache/api/v1/entry?key=" + percent_encode(key) +
           " HTTP/1.1\r\nHost: " + o.host +
           "\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
           std::to_string(value.size()) + "\r\n\r\n";
  } else {
    out += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key +
           "\r\n$" + std::to_string(value.size()) + "\r\n";
  }
  out += value;
  if (!o.http)
    out += "\r\n"; // RESP bulk strings end with CRLF, HTTP bodies do not
}

// Size of the first complete HTTP response in `in` (0: incomplete); fails
// unless it is a 204.
size_t http_reply(std::string_view in) {
  auto head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (in.size() > 65536)
      fail("response header longer than 64 KiB");
    return 0;
  }
  std::string head{in.substr(0, head_end + 2)}; // each line ends with CRLF
  for (char& c : head)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (head.compare(0, 7, "http/1.") != 0 || head.size() < 14)
    fail("malformed response: " + head);
  if (head.find("\r\ntransfer-encoding:") != std::string::npos)
    fail("unexpected Transfer-Encoding in: " + head);
  auto cl = head.find("\r\ncontent-length:");
  size_t length = cl == std::string::npos
                      ? 0
                      : std::strtoul(head.c_str() + cl + 17, nullptr, 10);
  size_t total = head_end + 4 + length;
  if (in.size() < total)
    return 0;
  if (head.compare(9, 3, "204") != 0 || std::isdigit(head[12]))
    fail("PUT answered '" + std::string{in.substr(0, in.find("\r\n"))} +
         "' (expected 204): " +
         std::string{in.substr(head_end + 4, std::min<size_t>(length, 300))});
  return total;
}

// Size of the first complete RESP reply in `in` (0: incomplete); fails
// unless it is +OK.
size_t redis_reply(std::string_view in) {
  auto eol = in.find("\r\n");
  if (eol == std::string_view::npos)
    return 0;
  if (in.substr(0, eol) != "+OK")
    fail("SET answered '" + std::string{in.substr(0, eol)} +
         "' (expected +OK)");
  return eol + 2;
}

int connect_to(const options& o) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &res))
    fail("resolving " + o.host + ": " + gai_strerror(rc));
  int fd = -1;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0)
    fail("cannot connect to " + o.host + ":" + o.port + ": " +
         std::strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval timeout{30, 0}; // a stuck server fails the run instead of hanging
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail(std::string{"send: "} + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Writes entries [begin, end) over one connection, keeping up to
// o.pipeline requests outstanding.
void load_range(const options& o, long begin, long end,
                std::atomic<long>& done) {
  int fd = connect_to(o);
  const std::string value(static_cast<size_t>(o.value_bytes), 'v');
  std::string out, in;
  char buf[1 << 16];
  for (long next = begin, acked = begin; acked < end;) {
    out.clear();
    for (; next < end && next - acked < o.pipeline; ++next)
      append_request(o, out, make_key(o, next), value);
    send_all(fd, out);
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0)
      fail("server closed the connection");
    if (n < 0 && errno != EINTR)
      fail(std::string{"recv: "} + std::strerror(errno) +
           (errno == EAGAIN ? " (no reply within 30 s)" : ""));
    in.append(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
    size_t pos = 0;
    long replies = 0;
    while (acked + replies < next) {
      std::string_view rest = std::string_view{in}.substr(pos);
      size_t used = o.http ? http_reply(rest) : redis_reply(rest);
      if (used == 0)
        break;
      pos += used;
      ++replies;
    }
    in.erase(0, pos);
    acked += replies;
    done.fetch_add(replies, std::memory_order_relaxed);
  }
  close(fd);
}

} // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  const long conns = std::min(o.connections, o.count);
  std::atomic<long> done{0}, finished{0};
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  std::vector<std::thread> workers;
  for (long t = 0; t < conns; ++t)
    workers.emplace_back([&, t] {
      load_range(o, o.count * t / conns, o.count * (t + 1) / conns, done);
      finished.fetch_add(1);
    });
  long last = 0;
  for (auto report = start + std::chrono::seconds(1); finished < conns;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (clock::now() < report)
      continue;
    long now = done.load();
    std::fprintf(stderr, "cache_load_bench: %ld/%ld entries, %ld/s\n", now,
                 o.count, now - last);
    last = now;
    report += std::chrono::seconds(1);
  }
  for (auto& w : workers)
    w.join();
  const double s = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("loaded %ld entries in %.2f s (%.0f/s)\n", o.count, s,
              o.count / s);
  return EXIT_SUCCESS;
}
