#pragma once

#include <sstream>
#include <string>

/// One-line structured logging to stderr: `<time> <level> <component>: <text>`.
/// Lines are written with a single `write` call so that lines from different
/// threads never interleave.
namespace troupe::log {

/// Severity, most verbose first.
enum class level { debug = 0, info = 1, warning = 2, error = 3, off = 4 };

/// Parses "debug", "info", "warning", "error" or "off".
bool parse_level(const std::string& text, level& out);

/// Sets the minimum level that is printed (default: info).
void set_level(level x);

/// Returns whether messages of level `x` are printed.
bool enabled(level x);

/// Writes one line.
void write(level x, const char* component, const std::string& text);

namespace detail {

template <class... Ts>
void emit(level x, const char* component, const Ts&... xs) {
  if (!enabled(x))
    return;
  std::ostringstream out;
  (out << ... << xs);
  write(x, component, out.str());
}

} // namespace detail

template <class... Ts>
void debug(const char* component, const Ts&... xs) {
  detail::emit(level::debug, component, xs...);
}

template <class... Ts>
void info(const char* component, const Ts&... xs) {
  detail::emit(level::info, component, xs...);
}

template <class... Ts>
void warning(const char* component, const Ts&... xs) {
  detail::emit(level::warning, component, xs...);
}

template <class... Ts>
void error(const char* component, const Ts&... xs) {
  detail::emit(level::error, component, xs...);
}

} // namespace troupe::log
