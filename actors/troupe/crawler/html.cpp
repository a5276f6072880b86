// HTML page parsing for the crawler, on top of gumbo (HTML5 tree building).
//
// Two properties of gumbo 0.10 matter for pages from the open web:
// - Parsing costs O(tokens * depth): `limit_nesting` (html_nesting.hpp)
//   flattens pages nested deeper than `max_nesting` first.
// - `gumbo_destroy_output` frees the tree recursively. Every allocation
//   gumbo makes goes to an `arena` instead, which frees them all at the end
//   without walking the tree.
//
// The tree itself is walked with an explicit stack.

#include "troupe/crawler/html.hpp"
#include "troupe/crawler/html_nesting.hpp"
#include "troupe/crawler/html_tags.hpp"

#include "troupe/net/url.hpp"

#include <gumbo.h>

#include <algorithm>
#include <bitset>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

namespace troupe::crawler {

namespace {

/// Bytes of a page handed to gumbo (its positions are 32-bit).
constexpr size_t max_html_bytes = size_t{32} << 20;

// -- gumbo's heap ------------------------------------------------------------

/// Where gumbo allocates: a bump arena that frees nothing until the parse
/// ends, then everything at once. That is cheaper than malloc and free for
/// gumbo's many small nodes and strings (a fifth of its time went there),
/// and it frees the tree without walking it (gumbo's own free recurses).
/// Each thread keeps its arena between parses; chunks beyond
/// `kept_bytes` are returned after a parse.
class arena {
public:
  arena() = default;
  arena(const arena&) = delete;
  arena& operator=(const arena&) = delete;
  ~arena() { release(0); }

  /// Sets gumbo's allocator callbacks in `options` to this arena.
  void install(GumboOptions& options) {
    options.allocator = &allocate;
    options.deallocator = &deallocate;
    options.userdata = this;
  }

  /// Forgets every allocation (the memory is reused by the next parse).
  void reset() {
    release(kept_bytes);
    used_ = 0;
    current_ = 0;
  }

private:
  static constexpr size_t chunk_bytes = size_t{256} << 10;
  static constexpr size_t kept_bytes = size_t{4} << 20;
  static constexpr size_t align = alignof(std::max_align_t);

  struct chunk {
    char* data;
    size_t size;
  };

  static void* allocate(void* self, size_t size) {
    return static_cast<arena*>(self)->take((size + align - 1) & ~(align - 1));
  }

  static void deallocate(void*, void*) {
    // Freed with the whole arena.
  }

  void* take(size_t size) {
    while (current_ < chunks_.size()) {
      auto& c = chunks_[current_];
      if (used_ + size <= c.size) {
        void* p = c.data + used_;
        used_ += size;
        return p;
      }
      ++current_;
      used_ = 0;
    }
    auto bytes = std::max(chunk_bytes, size);
    auto* data = static_cast<char*>(std::malloc(bytes));
    if (data == nullptr)
      std::abort(); // gumbo cannot handle a failed allocation
    chunks_.push_back({data, bytes});
    current_ = chunks_.size() - 1;
    used_ = size;
    return data;
  }

  /// Frees chunks from the back until at most `keep` bytes remain.
  void release(size_t keep) {
    size_t total = 0;
    for (auto& c : chunks_)
      total += c.size;
    while (!chunks_.empty() && total > keep) {
      total -= chunks_.back().size;
      std::free(chunks_.back().data);
      chunks_.pop_back();
    }
  }

  std::vector<chunk> chunks_;
  size_t current_ = 0;
  size_t used_ = 0;
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
    thread_local arena heap;
    // The arena frees the output: gumbo_destroy_output would recurse.
    struct reset_at_exit {
      arena& a;
      ~reset_at_exit() { a.reset(); }
    } reset{heap};
    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 0; // gumbo records no parse errors
    heap.install(options);
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
