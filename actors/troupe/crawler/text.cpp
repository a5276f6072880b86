#include "troupe/crawler/text.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace troupe::crawler {

namespace {

bool is_ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

char ascii_lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a')
                                : static_cast<char>(c);
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

/// Moves `term` into `out` unless it is empty or too long.
void flush(std::string& term, std::vector<std::string>& out) {
  if (!term.empty() && term.size() <= max_term_bytes)
    out.push_back(std::move(term));
  term.clear();
}

/// The entities `strip_markup` decodes.
constexpr std::array<std::pair<std::string_view, char>, 6> entities{{
    {"&amp;", '&'},
    {"&lt;", '<'},
    {"&gt;", '>'},
    {"&quot;", '"'},
    {"&#39;", '\''},
    {"&nbsp;", ' '},
}};

/// Decodes the entity at the start of `rest` into `out`; returns the bytes
/// consumed (0 if `rest` starts with no known entity).
size_t decode_entity(std::string_view rest, std::string& out) {
  for (const auto& [name, ch] : entities) {
    if (rest.substr(0, name.size()) == name) {
      out.push_back(ch);
      return name.size();
    }
  }
  return 0;
}

/// Splits `text` at ASCII whitespace.
std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i]))
      ++i;
    auto start = i;
    while (i < text.size() && !is_space(text[i]))
      ++i;
    if (i > start)
      words.push_back(text.substr(start, i - start));
  }
  return words;
}

/// Adds `term` to `group` unless already there.
void add_alternative(std::vector<std::string>& group, std::string term) {
  if (std::find(group.begin(), group.end(), term) == group.end())
    group.push_back(std::move(term));
}

} // namespace

std::vector<std::string> terms_of(std::string_view text) {
  std::vector<std::string> out;
  std::string term;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || is_ascii_alnum(c))
      term.push_back(ascii_lower(c));
    else
      flush(term, out);
  }
  flush(term, out);
  return out;
}

std::string strip_markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '<') {
      auto close = text.find('>', i + 1);
      if (close != std::string_view::npos) {
        out.push_back(' ');
        i = close + 1;
        continue;
      }
    } else if (text[i] == '&') {
      if (auto used = decode_entity(text.substr(i), out); used > 0) {
        i += used;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::optional<query> query::parse(std::string_view text) {
  query result;
  auto plain = strip_markup(text);
  // `join` is set by an `OR` right after a word that gave positive terms:
  // the next positive term then joins the last group instead of opening
  // one. An `OR` anywhere else (first, after an exclusion) is ignored.
  bool after_positive = false;
  bool join = false;
  for (auto word : words_of(plain)) {
    if (word == "OR") {
      join = join || after_positive;
      after_positive = false;
      continue;
    }
    if (word.front() == '-') {
      for (auto& term : terms_of(word.substr(1)))
        add_alternative(result.excluded, std::move(term));
      join = after_positive = false;
      continue;
    }
    auto terms = terms_of(word);
    for (auto& term : terms) {
      if (join)
        add_alternative(result.all_of_any.back(), std::move(term));
      else
        result.all_of_any.push_back({std::move(term)});
      join = false;
    }
    if (!terms.empty())
      after_positive = true;
    else
      join = after_positive = false;
  }
  if (result.all_of_any.empty())
    return std::nullopt;
  return result;
}

} // namespace troupe::crawler
