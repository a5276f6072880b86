#include "troupe/twitter/text.hpp"

#include "troupe/utf8.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace troupe::twitter {

namespace {

bool is_ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

bool is_handle_char(unsigned char c) {
  return is_ascii_alnum(c) || c == '_';
}

/// Length of the markup at `text[i]` (a tag or an entity), 0 if none.
size_t markup_at(std::string_view text, size_t i) {
  auto c = text[i];
  if (c == '<' && i + 1 < text.size() &&
      (text[i + 1] == '/' ||
       std::isalpha(static_cast<unsigned char>(text[i + 1])))) {
    auto end = text.find('>', i);
    return end == std::string_view::npos ? 0 : end - i + 1;
  }
  if (c == '&') {
    size_t j = i + 1;
    while (j < text.size() && j - i <= 10 &&
           (is_ascii_alnum(text[j]) || text[j] == '#'))
      ++j;
    if (j < text.size() && j > i + 1 && text[j] == ';')
      return j - i + 1;
  }
  return 0;
}

void add_unique(std::vector<std::string>& out, std::string term) {
  if (term.size() > max_term_bytes)
    term.resize(max_term_bytes);
  if (!term.empty() && std::find(out.begin(), out.end(), term) == out.end())
    out.push_back(std::move(term));
}

} // namespace

std::optional<size_t> utf8_length(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    auto n = utf8_sequence_length(text, i);
    if (n == 0)
      return std::nullopt;
    i += n;
  }
  return count;
}

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> out;
  std::string term;
  for (size_t i = 0; i < text.size();) {
    if (auto n = markup_at(text, i); n > 0) {
      add_unique(out, std::move(term));
      term.clear();
      i += n;
      continue;
    }
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      term.push_back(static_cast<char>(c));
    } else if (is_ascii_alnum(c)) {
      term.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    } else {
      add_unique(out, std::move(term));
      term.clear();
    }
    ++i;
  }
  add_unique(out, std::move(term));
  return out;
}

std::vector<std::string> mentions(std::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '@' || (i > 0 && is_handle_char(text[i - 1])))
      continue;
    size_t j = i + 1;
    while (j < text.size() && is_handle_char(text[j]))
      ++j;
    if (j > i + 1) {
      std::string user{text.substr(i + 1, j - i - 1)};
      if (std::find(out.begin(), out.end(), user) == out.end())
        out.push_back(std::move(user));
    }
    i = j - 1;
  }
  return out;
}

} // namespace troupe::twitter
