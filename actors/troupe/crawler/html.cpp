// HTML page parsing for the crawler, on top of gumbo (HTML5 tree building).
//
// Two properties of gumbo 0.10 matter for pages from the open web:
// - Its tree builder scans the stack of open elements for most tokens ("has
//   a p element in button scope", ...), so parsing costs O(tokens * depth):
//   100000 nested <div>s take over 20 s. `nesting_guard` therefore tokenizes
//   the page once, cheaply, tracking an estimate of gumbo's stack of open
//   elements, and replaces start tags that would nest deeper than
//   `max_depth` by a space (their content stays, one level up). The estimate
//   follows the HTML5 rules that close elements implicitly (<p>, <li>, table
//   cells, ...) but errs on the deep side wherever it is unsure (formatting
//   elements stay open until their own end tag, because gumbo reopens them),
//   so that no input makes gumbo nest deeper than a small multiple of
//   `max_depth`.
// - `gumbo_destroy_output` frees the tree recursively. Every allocation
//   gumbo makes goes through `tracked_heap` instead, which frees them all at
//   the end without walking the tree.
//
// The tree itself is walked with an explicit stack.

#include "troupe/crawler/html.hpp"

#include "troupe/net/url.hpp"

#include <gumbo.h>

#include <algorithm>
#include <bitset>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <unordered_set>
#include <utility>

namespace troupe::crawler {

namespace {

/// Bytes of a page handed to gumbo (its positions are 32-bit).
constexpr size_t max_html_bytes = size_t{32} << 20;

/// Deepest element nesting `nesting_guard` lets through.
constexpr size_t max_depth = 512;

// -- tag classes --------------------------------------------------------------

using tag_set = std::bitset<GUMBO_TAG_LAST + 1>;

tag_set make_set(std::initializer_list<GumboTag> tags) {
  tag_set result;
  for (auto tag : tags)
    result.set(tag);
  return result;
}

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

/// Start tags that close an open <p>.
const tag_set closes_p_tags =
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

const tag_set heading_tags =
    make_set({GUMBO_TAG_H1, GUMBO_TAG_H2, GUMBO_TAG_H3, GUMBO_TAG_H4,
              GUMBO_TAG_H5, GUMBO_TAG_H6});

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

bool is_html_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool is_ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

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

/// Returns `body` with the start tags that would nest deeper than
/// `max_depth` replaced by a space, or nullopt if there are none.
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

// -- gumbo's heap ------------------------------------------------------------

/// Links every block gumbo allocates, so that all of them can be freed
/// without walking the (possibly deep) tree.
class tracked_heap {
public:
  tracked_heap() = default;
  tracked_heap(const tracked_heap&) = delete;
  tracked_heap& operator=(const tracked_heap&) = delete;

  ~tracked_heap() {
    while (head_.next != &head_) {
      auto* block = head_.next;
      unlink(block);
      std::free(block);
    }
  }

  /// Sets gumbo's allocator callbacks in `options` to this heap.
  void install(GumboOptions& options) {
    options.allocator = &allocate;
    options.deallocator = &deallocate;
    options.userdata = this;
  }

private:
  struct alignas(std::max_align_t) header {
    header* prev;
    header* next;
  };

  static void* allocate(void* self, size_t size) {
    auto* block = static_cast<header*>(std::malloc(sizeof(header) + size));
    if (block == nullptr)
      std::abort(); // gumbo cannot handle a failed allocation
    auto& head = static_cast<tracked_heap*>(self)->head_;
    block->prev = &head;
    block->next = head.next;
    head.next->prev = block;
    head.next = block;
    return block + 1;
  }

  static void deallocate(void*, void* ptr) {
    if (ptr == nullptr)
      return;
    auto* block = static_cast<header*>(ptr) - 1;
    unlink(block);
    std::free(block);
  }

  static void unlink(header* block) {
    block->prev->next = block->next;
    block->next->prev = block->prev;
  }

  header head_{&head_, &head_};
};

// -- extraction ---------------------------------------------------------------

/// Collects text with whitespace (and U+00A0) collapsed to single spaces,
/// trimmed, up to a byte limit.
class text_builder {
public:
  explicit text_builder(size_t limit) : limit_(limit) {}

  /// True once the limit was reached.
  bool full() const { return full_; }

  /// Starts a new word with the next text.
  void separate() { pending_space_ = true; }

  void append(std::string_view text) {
    for (size_t i = 0; i < text.size() && !full_; ++i) {
      char c = text[i];
      if (is_html_space(c) || c == '\v') {
        pending_space_ = true;
      } else if (c == '\xc2' && i + 1 < text.size() && text[i + 1] == '\xa0') {
        pending_space_ = true;
        ++i;
      } else {
        put(c);
      }
    }
  }

  /// Returns the text, cut after its last complete UTF-8 sequence.
  std::string take() {
    size_t lead = out_.size();
    while (lead > 0 &&
           (static_cast<unsigned char>(out_[lead - 1]) & 0xc0) == 0x80 &&
           out_.size() - lead < 3)
      --lead;
    if (lead > 0) {
      auto c = static_cast<unsigned char>(out_[lead - 1]);
      size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      if (out_.size() - (lead - 1) < want)
        out_.resize(lead - 1);
    }
    while (!out_.empty() && out_.back() == ' ')
      out_.pop_back();
    return std::move(out_);
  }

private:
  void put(char c) {
    bool space = pending_space_ && !out_.empty();
    if (out_.size() + space + 1 > limit_) {
      full_ = true;
      return;
    }
    if (space)
      out_.push_back(' ');
    out_.push_back(c);
    pending_space_ = false;
  }

  std::string out_;
  size_t limit_;
  bool pending_space_ = false;
  bool full_ = false;
};

/// Elements whose text is not shown.
const tag_set hidden_tags =
    make_set({GUMBO_TAG_HEAD, GUMBO_TAG_SCRIPT, GUMBO_TAG_STYLE,
              GUMBO_TAG_NOSCRIPT, GUMBO_TAG_TEMPLATE, GUMBO_TAG_TITLE,
              GUMBO_TAG_IFRAME, GUMBO_TAG_NOEMBED, GUMBO_TAG_NOFRAMES});

/// Elements that separate the words before and after them.
const tag_set block_tags =
    closes_p_tags | heading_tags |
    make_set({GUMBO_TAG_BODY,     GUMBO_TAG_BR,       GUMBO_TAG_HR,
              GUMBO_TAG_HTML,     GUMBO_TAG_TABLE,    GUMBO_TAG_CAPTION,
              GUMBO_TAG_TBODY,    GUMBO_TAG_THEAD,    GUMBO_TAG_TFOOT,
              GUMBO_TAG_TR,       GUMBO_TAG_TD,       GUMBO_TAG_TH,
              GUMBO_TAG_LEGEND,   GUMBO_TAG_SELECT,   GUMBO_TAG_OPTION,
              GUMBO_TAG_OPTGROUP, GUMBO_TAG_TEXTAREA, GUMBO_TAG_BUTTON,
              GUMBO_TAG_INPUT,    GUMBO_TAG_IMG,      GUMBO_TAG_FRAMESET,
              GUMBO_TAG_FRAME,    GUMBO_TAG_VIDEO,    GUMBO_TAG_AUDIO,
              GUMBO_TAG_CANVAS,   GUMBO_TAG_OBJECT,   GUMBO_TAG_EMBED,
              GUMBO_TAG_SVG,      GUMBO_TAG_MATH});

std::string_view attribute(const GumboElement& e, const char* name) {
  auto* a = gumbo_get_attribute(&e.attributes, name);
  return a != nullptr && a->value != nullptr ? std::string_view{a->value}
                                             : std::string_view{};
}

bool has_attribute(const GumboElement& e, const char* name) {
  return gumbo_get_attribute(&e.attributes, name) != nullptr;
}

/// Trims ASCII whitespace (and other C0 controls) from both ends.
std::string_view trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ')
    s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ')
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

/// Applies the directives of a robots meta's `content` to `page`.
void apply_robots(std::string_view content, parsed_page& page) {
  size_t i = 0;
  while (i < content.size()) {
    while (i < content.size() &&
           (is_html_space(content[i]) || content[i] == ','))
      ++i;
    auto start = i;
    while (i < content.size() && !is_html_space(content[i]) &&
           content[i] != ',')
      ++i;
    auto word = content.substr(start, i - start);
    bool none = iequals(word, "none");
    page.noindex = page.noindex || none || iequals(word, "noindex");
    page.nofollow = page.nofollow || none || iequals(word, "nofollow");
  }
}

/// What the walk over the tree collects besides the text.
struct page_parts {
  std::optional<std::string_view> base_href;
  std::vector<std::string_view> hrefs;
  bool has_title = false;
};

/// Handles an element entered during the walk (everything but its text).
void visit_element(const GumboNode& node, parsed_page& page,
                   page_parts& parts) {
  const auto& e = node.v.element;
  bool html = e.tag_namespace == GUMBO_NAMESPACE_HTML;
  switch (e.tag) {
  case GUMBO_TAG_A:
  case GUMBO_TAG_AREA:
    if (has_attribute(e, "href"))
      parts.hrefs.push_back(attribute(e, "href"));
    break;
  case GUMBO_TAG_BASE:
    if (!parts.base_href && html && has_attribute(e, "href"))
      parts.base_href = attribute(e, "href");
    break;
  case GUMBO_TAG_META:
    if (html && iequals(trim(attribute(e, "name")), "robots"))
      apply_robots(attribute(e, "content"), page);
    break;
  case GUMBO_TAG_TITLE:
    if (html && !parts.has_title) {
      parts.has_title = true;
      text_builder title{max_title_bytes};
      for (unsigned i = 0; i < e.children.length; ++i) {
        auto* child = static_cast<const GumboNode*>(e.children.data[i]);
        if (child->type == GUMBO_NODE_TEXT ||
            child->type == GUMBO_NODE_WHITESPACE)
          title.append(child->v.text.text);
      }
      page.title = title.take();
    }
    break;
  default:
    break;
  }
}

/// Walks the tree in document order with an explicit stack, filling
/// `page.title`, `page.text` and the robots flags, and collecting `parts`.
void walk(const GumboNode* root, parsed_page& page, page_parts& parts) {
  struct frame {
    const GumboNode* node;
    bool leaving;
  };
  text_builder text{max_text_bytes};
  size_t hidden = 0;
  std::vector<frame> stack{{root, false}};
  while (!stack.empty()) {
    auto [node, leaving] = stack.back();
    stack.pop_back();
    switch (node->type) {
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_CDATA:
      if (hidden == 0)
        text.append(node->v.text.text);
      continue;
    case GUMBO_NODE_WHITESPACE:
      text.separate();
      continue;
    case GUMBO_NODE_COMMENT:
      continue;
    default:
      break;
    }
    const GumboVector* children = &node->v.document.children;
    if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
      auto tag = node->v.element.tag;
      bool is_hidden =
          hidden_tags.test(tag) || node->type == GUMBO_NODE_TEMPLATE;
      if (block_tags.test(tag))
        text.separate();
      if (leaving) {
        hidden -= is_hidden;
        continue;
      }
      hidden += is_hidden;
      visit_element(*node, page, parts);
      stack.push_back({node, true});
      children = &node->v.element.children;
    }
    for (unsigned i = children->length; i-- > 0;)
      stack.push_back(
          {static_cast<const GumboNode*>(children->data[i]), false});
  }
  page.text = text.take();
}

/// Removes the tabs and newlines a URL parser ignores, and trims the rest.
std::string clean_href(std::string_view href) {
  std::string out;
  for (char c : trim(href))
    if (c != '\t' && c != '\n' && c != '\r')
      out.push_back(c);
  return out;
}

/// Resolves `parts.hrefs` into `page.links`.
void resolve_links(std::string_view base_url, const page_parts& parts,
                   parsed_page& page) {
  std::optional<net::url> base = net::url::parse(base_url);
  if (parts.base_href) {
    auto href = clean_href(*parts.base_href);
    auto declared = base ? base->resolve(href) : net::url::parse(href);
    if (declared)
      base = std::move(declared);
  }
  std::unordered_set<std::string> seen;
  for (auto raw : parts.hrefs) {
    if (page.links.size() >= max_links)
      break;
    auto href = clean_href(raw);
    auto link = base ? base->resolve(href) : net::url::parse(href);
    if (!link)
      continue;
    auto text = link->to_string();
    if (seen.insert(text).second)
      page.links.push_back(std::move(text));
  }
}

} // namespace

parsed_page parse_html(std::string_view body, std::string_view base_url) {
  parsed_page page;
  try {
    body = body.substr(0, max_html_bytes);
    auto limited = limit_nesting(body);
    if (limited)
      body = *limited;
    tracked_heap heap;
    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 0; // gumbo records no parse errors
    heap.install(options);
    // The heap frees the output: gumbo_destroy_output would recurse.
    auto* output = gumbo_parse_with_options(&options, body.data(), body.size());
    page_parts parts;
    walk(output->document, page, parts);
    if (!page.nofollow)
      resolve_links(base_url, parts, page);
  } catch (...) {
    // Out of memory: keep what was extracted.
  }
  return page;
}

} // namespace troupe::crawler
