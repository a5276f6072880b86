#pragma once
// Small helpers shared by the HTML parsing files (html.cpp,
// html_nesting.cpp); internal to the crawler.

#include <bitset>
#include <initializer_list>

#include <gumbo.h>

namespace troupe::crawler {

/// A set of gumbo tags.
using tag_set = std::bitset<GUMBO_TAG_LAST + 1>;

/// Returns the set of `tags`.
inline tag_set make_set(std::initializer_list<GumboTag> tags) {
  tag_set result;
  for (auto tag : tags)
    result.set(tag);
  return result;
}

/// Start tags that close an open <p>.
inline const tag_set closes_p_tags =
    make_set({GUMBO_TAG_ADDRESS,    GUMBO_TAG_ARTICLE,    GUMBO_TAG_ASIDE,
              GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_CENTER,     GUMBO_TAG_DETAILS,
              GUMBO_TAG_DIR,        GUMBO_TAG_DIV,        GUMBO_TAG_DL,
              GUMBO_TAG_FIELDSET,   GUMBO_TAG_FIGCAPTION, GUMBO_TAG_FIGURE,
              GUMBO_TAG_FOOTER,     GUMBO_TAG_HEADER,     GUMBO_TAG_HGROUP,
              GUMBO_TAG_MAIN,       GUMBO_TAG_MENU,       GUMBO_TAG_NAV,
              GUMBO_TAG_OL,         GUMBO_TAG_P,          GUMBO_TAG_SECTION,
              GUMBO_TAG_SUMMARY,    GUMBO_TAG_UL,         GUMBO_TAG_H1,
              GUMBO_TAG_H2,         GUMBO_TAG_H3,         GUMBO_TAG_H4,
              GUMBO_TAG_H5,         GUMBO_TAG_H6,         GUMBO_TAG_PRE,
              GUMBO_TAG_LISTING,    GUMBO_TAG_FORM,       GUMBO_TAG_LI,
              GUMBO_TAG_DD,         GUMBO_TAG_DT});

inline const tag_set heading_tags =
    make_set({GUMBO_TAG_H1, GUMBO_TAG_H2, GUMBO_TAG_H3, GUMBO_TAG_H4,
              GUMBO_TAG_H5, GUMBO_TAG_H6});

/// Whether `c` is whitespace as HTML defines it.
inline bool is_html_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

inline bool is_ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace troupe::crawler
