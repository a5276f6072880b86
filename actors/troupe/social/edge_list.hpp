#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "troupe/line_splitter.hpp"
#include "troupe/social/messages.hpp"

namespace troupe::social {

/// Parses a person id: decimal digits only, 1 .. 4294967295; 0 if invalid.
person_id parse_person_id(std::string_view text);

/// Incremental parser of an edge list: one friendship per line, two person
/// ids separated by spaces or tabs (`\r\n` endings accepted). Empty lines
/// and lines starting with `#` are skipped. A bad line (wrong field count,
/// bad id, self-loop, longer than `max_line_bytes`) is rejected with its
/// line number and reason; parsing goes on. Pieces may split lines
/// anywhere.
class edge_list_parser {
public:
  /// Longest accepted line.
  static constexpr size_t max_line_bytes = 256;

  struct rejection {
    uint64_t line;
    std::string reason;
  };

  /// Keeps the first `max_rejections` rejections (all are counted).
  explicit edge_list_parser(size_t max_rejections = 1000)
      : max_rejections_(max_rejections), lines_(max_line_bytes) {
    // nop
  }

  /// Parses the complete lines of `piece` (and of what earlier pieces left
  /// over), appending each friendship as two ids to `out`.
  void feed(std::string_view piece, std::vector<person_id>& out);

  /// Parses the last line if it has no line break.
  void finish(std::vector<person_id>& out);

  /// Lines accepted as friendships.
  uint64_t accepted() const { return accepted_; }

  /// Lines rejected.
  uint64_t rejected_count() const { return rejected_count_; }

  /// The first rejections, in line order.
  const std::vector<rejection>& rejected() const { return rejected_; }

  /// Lines seen so far.
  uint64_t lines() const { return lines_.lines(); }

private:
  void on_line(uint64_t number, std::string_view line, bool overlong,
               std::vector<person_id>& out);
  void reject(uint64_t number, std::string reason);

  size_t max_rejections_;
  line_splitter lines_;
  uint64_t accepted_ = 0;
  uint64_t rejected_count_ = 0;
  std::vector<rejection> rejected_;
};

} // namespace troupe::social
