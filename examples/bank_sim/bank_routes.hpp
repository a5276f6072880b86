// The routes of bank_sim: its switches, counters and the answer to one
// request (no I/O here; bank_sim.cpp serves them over http or https).
#pragma once

#include "bank_data.hpp"

#include <boost/beast/http.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace bank_sim {

struct Switches {
  std::uint64_t fail_next = 0;
  std::uint64_t delay_ms = 0;
  bool bad_credentials = false;
  bool garbage = false;
  /// 0: off; 1: a request outside /moved/ is redirected (302) to
  /// /moved<target> once; 2: every request is redirected there again (an
  /// endless chain); 3: redirected to the same port on host `localhost`.
  std::uint64_t redirect = 0;
};

struct Stats {
  std::uint64_t requests = 0;
  std::uint64_t served = 0;
  std::uint64_t failed = 0;
  std::uint64_t unauthorized = 0;
};

struct State {
  Calendar calendar;
  Switches sw;
  Stats stats;
};

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Exactly a decimal number that fits T, else nullopt.
template <typename T>
std::optional<T> parse_uint(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    return std::nullopt;
  return v;
}

// The response to `req` and how long to hold it back.
std::pair<Response, std::chrono::milliseconds> handle(const Request& req,
                                                      State& state);

} // namespace bank_sim
