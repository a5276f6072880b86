#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace troupe {

/// Cuts a body that arrives in pieces into lines, for the streaming
/// imports (social edge lists, sales). Pieces may split lines anywhere; a
/// line is handed over without its `\n` (a trailing `\r` is dropped), with
/// its number (from 1). A line longer than `max_line_bytes` is not buffered:
/// it is handed over as `overlong` once it ends.
class line_splitter {
public:
  explicit line_splitter(size_t max_line_bytes) : max_(max_line_bytes) {
    // nop
  }

  /// Calls `f(number, line, overlong)` for every line `piece` completes.
  template <class F>
  void feed(std::string_view piece, F&& f) {
    while (!piece.empty()) {
      auto nl = piece.find('\n');
      auto part = piece.substr(0, nl);
      if (!overlong_) {
        if (carry_.size() + part.size() > max_) {
          overlong_ = true;
          carry_.clear();
        } else if (nl != std::string_view::npos && carry_.empty()) {
          emit(part, f); // the common case: no copy
        } else {
          carry_.append(part.data(), part.size());
          if (nl != std::string_view::npos) {
            emit(carry_, f);
            carry_.clear();
          }
        }
      }
      if (nl == std::string_view::npos)
        return;
      if (overlong_) {
        overlong_ = false;
        f(++line_, std::string_view{}, true);
      }
      piece.remove_prefix(nl + 1);
    }
  }

  /// Hands over the last line if it has no line break.
  template <class F>
  void finish(F&& f) {
    if (overlong_)
      f(++line_, std::string_view{}, true);
    else if (!carry_.empty())
      emit(carry_, f);
    overlong_ = false;
    carry_.clear();
  }

  /// Lines handed over so far.
  uint64_t lines() const { return line_; }

private:
  template <class F>
  void emit(std::string_view line, F& f) {
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    f(++line_, line, false);
  }

  size_t max_;
  std::string carry_;
  bool overlong_ = false;
  uint64_t line_ = 0;
};

} // namespace troupe
