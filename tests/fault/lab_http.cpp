#include "lab_http.hpp"

#include <memory>
#include <thread>

namespace troupe_fault {

http_response send(troupe_e2e::connection& c, const std::string& method,
                   const std::string& target, const std::string& body) {
  try {
    troupe_e2e::header_list headers;
    if (!body.empty())
      headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    return c.request(method, target, body, headers);
  } catch (const troupe_e2e::io_error& e) {
    http_response failed;
    failed.body = std::string{"socket error: "} + e.what();
    return failed;
  }
}

http_response send(const endpoint& to, const std::string& method,
                   const std::string& target, const std::string& body,
                   std::chrono::milliseconds timeout) {
  try {
    troupe_e2e::connection c{to.port, timeout, to.host};
    return send(c, method, target, body);
  } catch (const troupe_e2e::io_error& e) {
    http_response failed;
    failed.body = std::string{"socket error: "} + e.what();
    return failed;
  }
}

std::vector<std::vector<http_response>>
read_everywhere(const std::vector<endpoint>& nodes,
                const std::vector<std::string>& targets,
                std::chrono::milliseconds timeout,
                std::chrono::steady_clock::time_point deadline) {
  std::vector<std::vector<http_response>> out(nodes.size());
  std::vector<std::thread> readers;
  for (size_t n = 0; n < nodes.size(); ++n)
    readers.emplace_back([&, n] {
      std::unique_ptr<troupe_e2e::connection> conn;
      auto& answers = out[n];
      answers.reserve(targets.size());
      for (const auto& target : targets) {
        http_response r;
        r.body = "not read: read-back deadline";
        for (int attempt = 0; attempt < 2 && r.status == 0 &&
                              std::chrono::steady_clock::now() < deadline;
             ++attempt) {
          if (!conn || !conn->is_open()) {
            try {
              conn = std::make_unique<troupe_e2e::connection>(
                  nodes[n].port, timeout, nodes[n].host);
            } catch (const troupe_e2e::io_error& e) {
              r.body = std::string{"socket error: "} + e.what();
              continue;
            }
          }
          r = send(*conn, "GET", target);
        }
        answers.push_back(std::move(r));
      }
    });
  for (auto& t : readers)
    t.join();
  return out;
}

} // namespace troupe_fault
