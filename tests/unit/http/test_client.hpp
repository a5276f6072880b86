#pragma once

// A tiny blocking HTTP/1.1 client over POSIX sockets, for driving a real
// server in tests.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <strings.h>
#include <utility>
#include <vector>

namespace troupe::test {

/// One parsed response.
struct http_reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// Returns the first header `name` (case-insensitive) or "".
  std::string header(const std::string& name) const {
    for (auto& [k, v] : headers)
      if (strcasecmp(k.c_str(), name.c_str()) == 0)
        return v;
    return {};
  }
};

/// A blocking connection; every read times out after 5 s.
class http_client {
public:
  /// Connects to 127.0.0.1:`port`; check `ok()`.
  explicit http_client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  ~http_client() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Returns whether the connection is open.
  bool ok() const { return fd_ >= 0; }

  /// Sends raw bytes.
  bool send_raw(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      auto n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  /// Reads one response; `std::nullopt` on EOF, error or timeout. A reply
  /// to HEAD has a Content-Length but no body: pass `has_body = false`.
  std::optional<http_reply> read_reply(bool has_body = true) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill())
        return std::nullopt;
    http_reply r;
    auto head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    auto line_end = head.find("\r\n");
    auto status_line = head.substr(0, line_end);
    if (status_line.size() < 12)
      return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto next = head.find("\r\n", pos);
      if (next == std::string::npos)
        next = head.size();
      auto line = head.substr(pos, next - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ')
          v.erase(0, 1);
        r.headers.emplace_back(line.substr(0, colon), v);
      }
      pos = next + 2;
    }
    auto len_str = r.header("Content-Length");
    size_t len = len_str.empty() || !has_body ? 0 : std::stoul(len_str);
    while (buf_.size() < len)
      if (!fill())
        return std::nullopt;
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }

  /// Sends a request and reads the response.
  std::optional<http_reply> request(const std::string& method,
                                    const std::string& target,
                                    const std::string& body = {},
                                    const std::string& extra_headers = {}) {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers;
    if (!body.empty() || method == "POST" || method == "PUT")
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    if (!send_raw(req))
      return std::nullopt;
    return read_reply();
  }

  /// Returns whether the server closed the connection (EOF within 5 s).
  bool closed_by_peer() {
    char c;
    for (;;) {
      auto n = ::recv(fd_, &c, 1, 0);
      if (n == 0)
        return true;
      if (n < 0)
        return errno == ECONNRESET;
    }
  }

private:
  bool fill() {
    char tmp[8192];
    auto n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0)
      return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_;
};

} // namespace troupe::test
