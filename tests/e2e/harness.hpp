// End-to-end test harness: runs the real `troupe` binary as a child process
// and talks to it over a small blocking HTTP/1.1 client on POSIX sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe_e2e {

using json = nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

/// Thrown on any socket-level failure (connect, send, recv, EOF mid-response).
struct io_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct http_response {
  int status = 0;
  std::string reason;
  /// Header names are lower-cased; a repeated header keeps the last value.
  std::map<std::string, std::string> headers;
  std::string body;

  /// Value of a header (case-insensitive name) or "" when absent.
  std::string header(const std::string& name) const;
  /// Parses the body as JSON; returns a discarded value when it is not JSON.
  json body_json() const;
  /// `error.code` of an error body, or "" when the body has no such field.
  std::string error_code() const;
};

/// One keep-alive connection to host:port (127.0.0.1 unless `host` names
/// another IPv4 address, e.g. a node in tests/fault's network namespaces).
/// `timeout` bounds connect, each send and each receive.
class connection {
public:
  explicit connection(
      uint16_t port,
      std::chrono::milliseconds timeout = std::chrono::seconds(15),
      const std::string& host = "127.0.0.1");
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Sends one request and reads one response. Throws io_error on failure;
  /// after a throw or a `Connection: close` response the connection is closed.
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const header_list& headers = {});
  /// Sends raw bytes (a hand-made request) and reads one response.
  http_response raw(const std::string& bytes);
  /// Reads the next response (after `raw` sent several requests at once).
  http_response next_response();

  bool is_open() const { return fd_ >= 0; }

private:
  void send_all(const std::string& bytes);
  http_response read_response(bool head_request);
  bool fill(); // reads more bytes into buf_; false on EOF
  void close_fd();

  int fd_ = -1;
  std::string buf_;
  std::string host_; // sent as the Host header
};

/// One-shot request on a fresh connection.
http_response request(uint16_t port, const std::string& method,
                      const std::string& target, const std::string& body = "",
                      const header_list& headers = {});

/// A JSON body POST with the right Content-Type.
http_response post_json(connection& c, const std::string& target,
                        const std::string& body);
http_response post_json(uint16_t port, const std::string& target,
                        const std::string& body);

/// A loopback TCP port that is free, outside the kernel's ephemeral range,
/// and reserved for this test process: never given again while it runs,
/// by it or by another test process (CTest -j).
uint16_t free_port();

/// Percent-encodes a query parameter value.
std::string url_encode(const std::string& text);

/// The bytes of a POST of `chunks` to `target` with
/// `Transfer-Encoding: chunked`, one HTTP chunk per non-empty element (an
/// empty chunk would end the body), for `connection::raw`.
std::string chunked_post(const std::string& target,
                         const std::string& content_type,
                         const std::vector<std::string>& chunks);

/// Current UTC month as "YYYY-MM".
std::string utc_month();

/// Value of a Prometheus sample whose line starts with `series` (name plus
/// labels, exactly as printed), or -1 when absent.
double metric_value(const std::string& metrics_text, const std::string& series);

/// A `troupe run` child process with its own temp data dir and HTTP port.
///
/// When `config_text` is given it is written to a temp file and passed with
/// --config; the placeholders {PORT}, {ACTOR_PORT} and {DATA_DIR} are
/// substituted first. --http and --data-dir are always passed as well.
class node_process {
public:
  explicit node_process(std::string config_text = "",
                        std::vector<std::string> extra_args = {});
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  /// Forks and execs the binary (again on the same data dir and port).
  void start();
  /// Polls GET /readyz until 200; fails the test (with the log) on timeout
  /// or when the process exits. Returns false on failure.
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// SIGTERM and wait; returns the raw waitpid status.
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// SIGKILL and wait; returns the raw waitpid status.
  int kill9();
  /// start() + wait_ready().
  bool restart();
  /// Waits for the process to exit by itself; returns the waitpid status or
  /// -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout);

  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& config_path() const { return config_path_; }
  /// Everything the child wrote to stdout and stderr so far.
  std::string log() const;

private:
  std::string dir_;      // temp root, removed on destruction
  std::string data_dir_; // dir_/data
  std::string config_path_;
  std::string log_path_;
  std::vector<std::string> args_;
  uint16_t port_ = 0;
  int pid_ = -1;
};

/// Where `spawn_process` sends a child's output and how it runs it.
struct spawn_options {
  /// stdout: this descriptor when >= 0, else `out_path` (appended,
  /// created), else /dev/null.
  int out_fd = -1;
  std::string out_path;
  /// stderr: appended to this file (created); empty: where stdout goes.
  std::string err_path;
  /// The child's working directory; empty: the test's.
  std::string cwd;
  /// Looks argv[0] up in PATH.
  bool search_path = false;
  /// SIGKILLs the child when the thread that started it dies.
  bool die_with_parent = false;
  /// A process group of its own, so that kill(-pid) reaches its children.
  bool own_group = false;
};

/// Forks and execs `argv` with stdin from /dev/null and the output of
/// `opts`. Returns the child's pid, or -1 when fork failed. The child exits
/// 126 when a redirection or `cwd` fails, 127 when exec does.
int spawn_process(const std::vector<std::string>& argv,
                  const spawn_options& opts = {});

/// Waits up to `timeout` for child `pid` to exit; returns its waitpid
/// status, or -1 when it still runs (or is no child).
int wait_exit(int pid, std::chrono::milliseconds timeout);

/// Result of running the binary to completion (for CLI error tests).
struct run_result {
  int status = -1; // waitpid status
  std::string out; // stdout
  std::string err; // stderr
};

/// Runs TROUPE_BIN with `args` and waits up to `timeout` for it to exit
/// (killing it after that).
run_result
run_binary(const std::vector<std::string>& args,
           std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// Path of the binary under test (env TROUPE_BIN).
std::string troupe_bin();

/// Creates a fresh temp directory (mkdtemp) and returns its path.
std::string make_temp_dir();
/// rm -rf of a directory tree.
void remove_tree(const std::string& path);
/// Writes a file (overwriting).
void write_file(const std::string& path, const std::string& text);
/// Reads a whole file ("" when unreadable).
std::string read_file(const std::string& path);

/// The last `n` lines of `text`.
std::string tail_lines(const std::string& text, size_t n);

/// A node log in brief, for a failed test: how often each kind of line
/// occurred (timestamps dropped, numbers and `service/shard` folded), the
/// last warnings and errors of components other than failover, then the
/// last `tail` lines.
std::string log_digest(const std::string& log, size_t tail);

} // namespace troupe_e2e
