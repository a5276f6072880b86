// The nesting guard in front of gumbo (html_nesting.hpp).
//
// gumbo 0.10's tree builder scans the stack of open elements for most
// tokens ("has a p element in button scope", ...), so parsing costs
// O(tokens * depth): 100000 nested <div>s take over 20 s. `nesting_guard`
// therefore tokenizes the page once, cheaply, tracking an estimate of
// gumbo's stack of open elements, and replaces start tags that would nest
// deeper than `max_nesting` by a space (their content stays, one level up).
// The estimate follows the HTML5 rules that close elements implicitly (<p>,
// <li>, table cells, ...) but errs on the deep side wherever it is unsure
// (formatting elements stay open until their own end tag, because gumbo
// reopens them), so that no input makes gumbo nest deeper than a small
// multiple of `max_nesting`.

#include "troupe/crawler/html_nesting.hpp"
#include "troupe/crawler/html_tags.hpp"

#include <string>
#include <vector>

namespace troupe::crawler {

namespace {

/// Deepest element nesting `nesting_guard` lets through.
constexpr size_t max_depth = max_nesting;

// -- tag classes --------------------------------------------------------------

/// Elements without content or end tag.
const tag_set void_tags = make_set(
    {GUMBO_TAG_AREA, GUMBO_TAG_BASE, GUMBO_TAG_BASEFONT, GUMBO_TAG_BGSOUND,
     GUMBO_TAG_BR, GUMBO_TAG_COL, GUMBO_TAG_EMBED, GUMBO_TAG_FRAME,
     GUMBO_TAG_HR, GUMBO_TAG_IMAGE, GUMBO_TAG_IMG, GUMBO_TAG_INPUT,
     GUMBO_TAG_KEYGEN, GUMBO_TAG_LINK, GUMBO_TAG_META, GUMBO_TAG_PARAM,
     GUMBO_TAG_SOURCE, GUMBO_TAG_TRACK, GUMBO_TAG_WBR});

/// Elements whose content is text up to their end tag (in HTML content).
const tag_set raw_text_tags =
    make_set({GUMBO_TAG_SCRIPT, GUMBO_TAG_STYLE, GUMBO_TAG_XMP,
              GUMBO_TAG_IFRAME, GUMBO_TAG_NOEMBED, GUMBO_TAG_NOFRAMES,
              GUMBO_TAG_TEXTAREA, GUMBO_TAG_TITLE});

/// Formatting elements: closed implicitly, they are reopened later.
const tag_set formatting_tags = make_set(
    {GUMBO_TAG_A, GUMBO_TAG_B, GUMBO_TAG_BIG, GUMBO_TAG_CODE, GUMBO_TAG_EM,
     GUMBO_TAG_FONT, GUMBO_TAG_I, GUMBO_TAG_NOBR, GUMBO_TAG_S, GUMBO_TAG_SMALL,
     GUMBO_TAG_STRIKE, GUMBO_TAG_STRONG, GUMBO_TAG_TT, GUMBO_TAG_U});

/// Elements that put a marker in the list of active formatting elements.
const tag_set marker_tags = make_set(
    {GUMBO_TAG_APPLET, GUMBO_TAG_OBJECT, GUMBO_TAG_MARQUEE, GUMBO_TAG_TEMPLATE,
     GUMBO_TAG_TD, GUMBO_TAG_TH, GUMBO_TAG_CAPTION});

/// Where SVG or MathML content switches back to HTML.
const tag_set integration_tags =
    make_set({GUMBO_TAG_FOREIGNOBJECT, GUMBO_TAG_DESC, GUMBO_TAG_TITLE,
              GUMBO_TAG_MI, GUMBO_TAG_MO, GUMBO_TAG_MN, GUMBO_TAG_MS,
              GUMBO_TAG_MTEXT, GUMBO_TAG_ANNOTATION_XML});

/// Boundaries of "has an element in scope".
const tag_set scope_tags =
    make_set({GUMBO_TAG_APPLET, GUMBO_TAG_CAPTION, GUMBO_TAG_HTML,
              GUMBO_TAG_TABLE, GUMBO_TAG_TD, GUMBO_TAG_TH, GUMBO_TAG_MARQUEE,
              GUMBO_TAG_OBJECT, GUMBO_TAG_TEMPLATE}) |
    integration_tags;

/// Boundaries of "has an element in button scope".
const tag_set button_scope_tags = scope_tags | make_set({GUMBO_TAG_BUTTON});

/// Boundaries of "has an element in list item scope".
const tag_set list_scope_tags =
    scope_tags | make_set({GUMBO_TAG_OL, GUMBO_TAG_UL});

/// Boundaries of "has an element in table scope".
const tag_set table_scope_tags =
    make_set({GUMBO_TAG_HTML, GUMBO_TAG_TABLE, GUMBO_TAG_TEMPLATE});

/// Start tags that leave SVG and MathML content.
const tag_set breakout_tags =
    heading_tags |
    make_set({GUMBO_TAG_B,       GUMBO_TAG_BIG,  GUMBO_TAG_BLOCKQUOTE,
              GUMBO_TAG_BODY,    GUMBO_TAG_BR,   GUMBO_TAG_CENTER,
              GUMBO_TAG_CODE,    GUMBO_TAG_DD,   GUMBO_TAG_DIV,
              GUMBO_TAG_DL,      GUMBO_TAG_DT,   GUMBO_TAG_EM,
              GUMBO_TAG_EMBED,   GUMBO_TAG_HEAD, GUMBO_TAG_HR,
              GUMBO_TAG_I,       GUMBO_TAG_IMG,  GUMBO_TAG_LI,
              GUMBO_TAG_LISTING, GUMBO_TAG_MENU, GUMBO_TAG_META,
              GUMBO_TAG_NOBR,    GUMBO_TAG_OL,   GUMBO_TAG_P,
              GUMBO_TAG_PRE,     GUMBO_TAG_RUBY, GUMBO_TAG_S,
              GUMBO_TAG_SMALL,   GUMBO_TAG_SPAN, GUMBO_TAG_STRONG,
              GUMBO_TAG_STRIKE,  GUMBO_TAG_SUB,  GUMBO_TAG_SUP,
              GUMBO_TAG_TABLE,   GUMBO_TAG_TT,   GUMBO_TAG_U,
              GUMBO_TAG_UL,      GUMBO_TAG_VAR});

/// The HTML "special" category (end tags of other elements stop there).
const tag_set special_tags =
    scope_tags | closes_p_tags | void_tags | raw_text_tags |
    make_set({GUMBO_TAG_BODY, GUMBO_TAG_BUTTON, GUMBO_TAG_COLGROUP,
              GUMBO_TAG_FRAMESET, GUMBO_TAG_HEAD, GUMBO_TAG_NOSCRIPT,
              GUMBO_TAG_PLAINTEXT, GUMBO_TAG_SELECT, GUMBO_TAG_TBODY,
              GUMBO_TAG_TFOOT, GUMBO_TAG_THEAD, GUMBO_TAG_TR});

// -- nesting guard ------------------------------------------------------------

/// One entry of `nesting_guard`'s estimate of the stack of open elements.
struct open_element {
  GumboTag tag;
  std::string name;     // lower-cased, for GUMBO_TAG_UNKNOWN only
  bool html = true;     // an HTML element (not SVG or MathML)
  bool foreign = false; // its content is SVG or MathML
};

/// Estimates gumbo's stack of open elements from the page's tags (see the
/// top of this file) and says which start tags to drop.
class nesting_guard {
public:
  /// True if content here is SVG or MathML.
  bool foreign() const { return !stack_.empty() && stack_.back().foreign; }

  /// Processes a start tag; returns false if it must be dropped.
  bool start(GumboTag tag, std::string_view name, bool self_closing) {
    if (foreign() && breakout_tags.test(tag)) {
      while (foreign())
        stack_.pop_back();
    }
    if (!foreign()) {
      if (void_tags.test(tag) || raw_text_tags.test(tag))
        return true;
      close_implied_by(tag);
      if (tag == GUMBO_TAG_FORM && find_any(make_set({tag}), tag_set{}))
        return true; // gumbo ignores a <form> inside a form
    } else if (self_closing) {
      return true;
    }
    if (stack_.size() >= max_depth && tag != GUMBO_TAG_A)
      return false;
    push(tag, name);
    return true;
  }

  /// Processes an end tag.
  void end(GumboTag tag, std::string_view name) {
    if (foreign() || tag == GUMBO_TAG_UNKNOWN) {
      close_generic(tag, name);
    } else if (formatting_tags.test(tag)) {
      close_formatting(tag);
    } else if (tag == GUMBO_TAG_FORM) {
      if (auto k = find_any(make_set({tag}), scope_tags))
        stack_.erase(stack_.begin() + static_cast<ptrdiff_t>(*k));
    } else if (tag == GUMBO_TAG_P) {
      close_if_found(make_set({tag}), button_scope_tags);
    } else if (tag == GUMBO_TAG_LI) {
      close_if_found(make_set({tag}), list_scope_tags);
    } else if (heading_tags.test(tag)) {
      close_if_found(heading_tags, scope_tags);
    } else if (table_scope_tags.test(tag) ||
               make_set({GUMBO_TAG_TR, GUMBO_TAG_TD, GUMBO_TAG_TH,
                         GUMBO_TAG_TBODY, GUMBO_TAG_THEAD, GUMBO_TAG_TFOOT,
                         GUMBO_TAG_CAPTION, GUMBO_TAG_COLGROUP})
                   .test(tag)) {
      if (tag != GUMBO_TAG_HTML)
        close_if_found(make_set({tag}), table_scope_tags.test(tag)
                                            ? make_set({GUMBO_TAG_HTML})
                                            : table_scope_tags);
    } else if (tag == GUMBO_TAG_BODY || void_tags.test(tag) ||
               raw_text_tags.test(tag)) {
      // Nothing to pop.
    } else if (special_tags.test(tag)) {
      close_if_found(make_set({tag}), scope_tags);
    } else {
      close_generic(tag, name);
    }
  }

private:
  void push(GumboTag tag, std::string_view name) {
    open_element e{tag, {}, true, false};
    if (tag == GUMBO_TAG_UNKNOWN)
      e.name = std::string{name};
    if (tag == GUMBO_TAG_SVG || tag == GUMBO_TAG_MATH) {
      e.html = false;
      e.foreign = true;
    } else if (foreign()) {
      e.html = false;
      e.foreign = !integration_tags.test(tag);
    }
    stack_.push_back(std::move(e));
  }

  /// Returns the index of the topmost element in `tags`, looking down no
  /// further than the first element in `stop`.
  std::optional<size_t> find_any(const tag_set& tags,
                                 const tag_set& stop) const {
    for (size_t i = stack_.size(); i-- > 0;) {
      if (tags.test(stack_[i].tag))
        return i;
      if (stop.test(stack_[i].tag))
        return std::nullopt;
    }
    return std::nullopt;
  }

  /// Pops element `k` and everything above it, except formatting elements
  /// that no popped marker separates from `k` (gumbo reopens those).
  void close_to(size_t k) {
    bool marker = marker_tags.test(stack_[k].tag);
    size_t kept = k;
    for (size_t i = k + 1; i < stack_.size(); ++i) {
      auto& e = stack_[i];
      marker = marker || marker_tags.test(e.tag);
      if (!marker && e.html && formatting_tags.test(e.tag)) {
        e.foreign = false;
        stack_[kept++] = std::move(e);
      }
    }
    stack_.resize(kept);
  }

  void close_if_found(const tag_set& tags, const tag_set& stop) {
    if (auto k = find_any(tags, stop))
      close_to(*k);
  }

  /// The implied end tags of a start tag in HTML content.
  void close_implied_by(GumboTag tag) {
    if (tag == GUMBO_TAG_A || tag == GUMBO_TAG_NOBR)
      close_formatting(tag);
    if (tag == GUMBO_TAG_LI)
      close_list_item(make_set({GUMBO_TAG_LI}));
    if (tag == GUMBO_TAG_DD || tag == GUMBO_TAG_DT)
      close_list_item(make_set({GUMBO_TAG_DD, GUMBO_TAG_DT}));
    if (closes_p_tags.test(tag))
      close_if_found(make_set({GUMBO_TAG_P}), button_scope_tags);
    if (heading_tags.test(tag) && !stack_.empty() &&
        heading_tags.test(stack_.back().tag))
      stack_.pop_back();
    if ((tag == GUMBO_TAG_OPTION || tag == GUMBO_TAG_OPTGROUP) &&
        !stack_.empty() && stack_.back().tag == GUMBO_TAG_OPTION)
      stack_.pop_back();
    if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH)
      close_if_found(make_set({GUMBO_TAG_TD, GUMBO_TAG_TH}), table_scope_tags);
    if (tag == GUMBO_TAG_TR)
      close_if_found(make_set({GUMBO_TAG_TR}), table_scope_tags);
    if (tag == GUMBO_TAG_TBODY || tag == GUMBO_TAG_THEAD ||
        tag == GUMBO_TAG_TFOOT)
      close_if_found(
          make_set({GUMBO_TAG_TBODY, GUMBO_TAG_THEAD, GUMBO_TAG_TFOOT}),
          table_scope_tags);
    if (tag == GUMBO_TAG_BUTTON)
      close_if_found(make_set({GUMBO_TAG_BUTTON}), scope_tags);
  }

  /// <li>, <dd>, <dt>: close an open one unless a special element (other
  /// than address, div, p) is in between.
  void close_list_item(const tag_set& items) {
    static const tag_set passable =
        make_set({GUMBO_TAG_ADDRESS, GUMBO_TAG_DIV, GUMBO_TAG_P});
    close_if_found(items, special_tags & ~passable);
  }

  /// The adoption agency, as far as depth goes: with a special element
  /// above the formatting element, gumbo's depth stays the same.
  void close_formatting(GumboTag tag) {
    auto k =
        find_any(make_set({tag}), marker_tags | make_set({GUMBO_TAG_HTML}));
    if (!k)
      return;
    for (size_t i = *k + 1; i < stack_.size(); ++i)
      if (special_tags.test(stack_[i].tag))
        return;
    close_to(*k);
  }

  /// "Any other end tag": the topmost element of that name, unless a
  /// special element comes first.
  void close_generic(GumboTag tag, std::string_view name) {
    for (size_t i = stack_.size(); i-- > 0;) {
      const auto& e = stack_[i];
      if (e.tag == tag && (tag != GUMBO_TAG_UNKNOWN || e.name == name)) {
        close_to(i);
        return;
      }
      if (e.html && special_tags.test(e.tag))
        return;
    }
  }

  std::vector<open_element> stack_;
};

// -- tokenizing for the guard -------------------------------------------------

/// A start or end tag found by `next_tag`.
struct raw_tag {
  size_t begin = 0; // the '<'
  size_t end = 0;   // one past the '>' (or the end of the input)
  bool closing = false;
  bool self_closing = false;
  std::string name; // lower-cased
};

/// Returns the index one past the `>` that ends the tag whose attributes
/// start at `i`, the way the HTML tokenizer reads quoted values.
size_t skip_attributes(std::string_view s, size_t i, bool& self_closing) {
  self_closing = false;
  while (i < s.size()) {
    char c = s[i];
    if (c == '>')
      return i + 1;
    if (is_html_space(c) || c == '/') {
      self_closing = c == '/';
      ++i;
      continue;
    }
    self_closing = false;
    // An attribute name (it may start with '='), then maybe a value.
    ++i;
    while (i < s.size() && !is_html_space(s[i]) && s[i] != '/' && s[i] != '>' &&
           s[i] != '=')
      ++i;
    while (i < s.size() && is_html_space(s[i]))
      ++i;
    if (i >= s.size() || s[i] != '=')
      continue;
    ++i;
    while (i < s.size() && is_html_space(s[i]))
      ++i;
    if (i < s.size() && (s[i] == '"' || s[i] == '\'')) {
      auto close = s.find(s[i], i + 1);
      i = close == std::string_view::npos ? s.size() : close + 1;
    } else {
      while (i < s.size() && !is_html_space(s[i]) && s[i] != '>')
        ++i;
    }
  }
  return s.size();
}

/// Returns the index one past `needle` at or after `from`, or the end.
size_t skip_past(std::string_view s, size_t from, std::string_view needle) {
  auto at = s.find(needle, std::min(from, s.size()));
  return at == std::string_view::npos ? s.size() : at + needle.size();
}

/// Finds the next start or end tag at or after `i`, skipping comments,
/// doctypes and other markup declarations.
std::optional<raw_tag> next_tag(std::string_view s, size_t i) {
  while ((i = s.find('<', i)) != std::string_view::npos) {
    auto at = i;
    auto rest = s.substr(at);
    if (rest.substr(0, 4) == "<!--") {
      i = rest.substr(4, 1) == ">"    ? at + 5
          : rest.substr(4, 2) == "->" ? at + 6
                                      : skip_past(s, at + 4, "-->");
      continue;
    }
    if (rest.substr(0, 2) == "<!" || rest.substr(0, 2) == "<?") {
      i = skip_past(s, at + 2, ">");
      continue;
    }
    raw_tag tag;
    tag.begin = at;
    tag.closing = rest.substr(0, 2) == "</";
    size_t n = at + 1 + tag.closing;
    if (n >= s.size() || !is_ascii_alpha(s[n])) {
      i = tag.closing ? skip_past(s, n, ">") : at + 1;
      continue;
    }
    while (n < s.size() && !is_html_space(s[n]) && s[n] != '/' && s[n] != '>') {
      tag.name.push_back(ascii_lower(s[n]));
      ++n;
    }
    tag.end = skip_attributes(s, n, tag.self_closing);
    return tag;
  }
  return std::nullopt;
}

/// Returns the index of the end tag `</name` at or after `from` (ASCII
/// case-insensitive), or the end of `s`.
size_t find_end_tag(std::string_view s, size_t from, std::string_view name) {
  for (size_t i = from; (i = s.find("</", i)) != std::string_view::npos; ++i) {
    if (s.size() - i - 2 < name.size())
      break;
    bool match = true;
    for (size_t j = 0; j < name.size() && match; ++j)
      match = ascii_lower(s[i + 2 + j]) == name[j];
    if (match)
      return i;
  }
  return s.size();
}

GumboTag tag_of(const std::string& name) {
  return gumbo_tagn_enum(name.data(), static_cast<unsigned>(name.size()));
}

} // namespace

std::optional<std::string> limit_nesting(std::string_view body) {
  nesting_guard guard;
  std::string out;
  size_t copied = 0;
  size_t i = 0;
  while (auto tag = next_tag(body, i)) {
    i = tag->end;
    auto id = tag_of(tag->name);
    if (tag->closing) {
      guard.end(id, tag->name);
      continue;
    }
    bool html = !guard.foreign();
    if (!guard.start(id, tag->name, tag->self_closing)) {
      out.append(body.substr(copied, tag->begin - copied)).push_back(' ');
      copied = tag->end;
      continue;
    }
    if (html && id == GUMBO_TAG_PLAINTEXT)
      break;
    if (html && raw_text_tags.test(id))
      i = find_end_tag(body, i, tag->name);
  }
  if (copied == 0)
    return std::nullopt;
  out.append(body.substr(copied));
  return out;
}

} // namespace troupe::crawler
