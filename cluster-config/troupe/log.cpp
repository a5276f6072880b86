#include "troupe/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace troupe::log {

namespace {

std::atomic<int> min_level{static_cast<int>(level::info)};

const char* name(level x) {
  switch (x) {
  case level::debug:
    return "DEBUG";
  case level::info:
    return "INFO";
  case level::warning:
    return "WARN";
  case level::error:
    return "ERROR";
  default:
    return "OFF";
  }
}

} // namespace

bool parse_level(const std::string& text, level& out) {
  static constexpr const char* names[] = {"debug", "info", "warning", "error",
                                          "off"};
  for (int i = 0; i < 5; ++i) {
    if (text == names[i]) {
      out = static_cast<level>(i);
      return true;
    }
  }
  return false;
}

void set_level(level x) {
  min_level = static_cast<int>(x);
}

bool enabled(level x) {
  return static_cast<int>(x) >= min_level.load(std::memory_order_relaxed);
}

void write(level x, const char* component, const std::string& text) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  auto n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line;
  line.reserve(text.size() + 64);
  line.append(stamp, n);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03dZ ", static_cast<int>(ms));
  line += frac;
  line += name(x);
  line += ' ';
  line += component;
  line += ": ";
  line += text;
  line += '\n';
  // One write per line keeps concurrent lines whole.
  auto res = ::write(STDERR_FILENO, line.data(), line.size());
  static_cast<void>(res);
}

} // namespace troupe::log
