// HTML page parsing for the crawler: title, visible text, links, robots meta,
// and hostile input.

#include "troupe/crawler/html.hpp"

#include <gtest/gtest.h>

#include "troupe/utf8.hpp"

#include <fstream>
#include <sstream>

using namespace troupe::crawler;

namespace {

using troupe::valid_utf8;

using strings = std::vector<std::string>;

constexpr std::string_view page_url = "http://example.com/dir/page.html";

/// Parses `html` as the page at `page_url`.
parsed_page parse(std::string_view html) {
  return parse_html(html, page_url);
}

/// The links of `html` (as the page at `page_url`).
strings links_of(std::string_view html) {
  return parse(html).links;
}

/// The text of the file at `path`, or nullopt if it cannot be read.
std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace

// -- title --------------------------------------------------------------------

TEST(CrawlerHtmlTitle, IsTrimmedAndCollapsed) {
  auto page = parse("<html><head><title>\n  Hello \t  big\n world  </title>"
                    "</head><body>x</body></html>");
  EXPECT_EQ(page.title, "Hello big world");
}

TEST(CrawlerHtmlTitle, EntitiesAreDecodedAndTheFirstTitleWins) {
  auto page = parse("<title>A &amp; B&nbsp;C</title><title>second</title>");
  EXPECT_EQ(page.title, "A & B C");
}

TEST(CrawlerHtmlTitle, MissingTitleIsEmpty) {
  EXPECT_EQ(parse("<p>no title</p>").title, "");
  EXPECT_EQ(parse("<svg><title>icon</title></svg>").title, "");
}

TEST(CrawlerHtmlTitle, IsCutAtMaxTitleBytesOnACharacterBoundary) {
  std::string words;
  for (int i = 0; i < 300; ++i)
    words += "\xc3\xa9"; // é, two bytes
  auto page = parse("<title>a" + words + "</title>");
  EXPECT_EQ(page.title.size(), max_title_bytes - 1);
  EXPECT_TRUE(valid_utf8(page.title));
}

// -- text ---------------------------------------------------------------------

TEST(CrawlerHtmlText, ScriptStyleNoscriptTemplateAndHeadAreHidden) {
  auto page = parse(
      "<html><head><title>T</title><style>p{}</style><script>var a;</script>"
      "<meta name=x content=y></head><body>one<script>alert(1)</script> "
      "two<style>.c{}</style><noscript>enable js</noscript>"
      "<template><p>tpl</p></template> three</body></html>");
  EXPECT_EQ(page.text, "one two three");
}

TEST(CrawlerHtmlText, BlockElementsAndBrSeparateWords) {
  EXPECT_EQ(parse("<p>a</p><p>b</p>").text, "a b");
  EXPECT_EQ(parse("a<br>b").text, "a b");
  EXPECT_EQ(parse("<div>a</div>b<li>c</li><td>d</td><h1>e</h1>").text,
            "a b c d e");
  EXPECT_EQ(parse("<table><tr><td>a</td><td>b</td></tr></table>").text, "a b");
}

TEST(CrawlerHtmlText, InlineElementsDoNotSeparate) {
  EXPECT_EQ(
      parse("<p>foo<b>bar</b><span>baz</span> <a href=x>qux</a></p>").text,
      "foobarbaz qux");
}

TEST(CrawlerHtmlText, WhitespaceAndNbspCollapse) {
  EXPECT_EQ(parse("  <p>\n  a \t\r\n b&nbsp;&nbsp;c  </p>  ").text, "a b c");
  EXPECT_EQ(parse("").text, "");
  EXPECT_EQ(parse("<p>   </p>").text, "");
}

TEST(CrawlerHtmlText, EntitiesAreDecoded) {
  EXPECT_EQ(parse("<p>a &lt;b&gt; &amp; &eacute;&#233;&#x41;</p>").text,
            "a <b> & \xc3\xa9\xc3\xa9"
            "A");
}

TEST(CrawlerHtmlText, IsCutAtMaxTextBytesOnACharacterBoundary) {
  std::string body = "<p>";
  for (size_t i = 0; i < max_text_bytes / 3 + 10; ++i)
    body += "\xe2\x82\xac"; // €, three bytes
  body += "</p><a href=/after>after</a>";
  auto page = parse(body);
  EXPECT_LE(page.text.size(), max_text_bytes);
  EXPECT_GT(page.text.size(), max_text_bytes - 3);
  EXPECT_TRUE(valid_utf8(page.text));
  // The rest of the page is still read.
  EXPECT_EQ(page.links, strings{"http://example.com/after"});
}

// -- links --------------------------------------------------------------------

TEST(CrawlerHtmlLinks, RelativeAndAbsoluteAreResolved) {
  EXPECT_EQ(links_of("<a href=other.html>1</a>"
                     "<a href='../up/x?q=1'>2</a>"
                     "<a href=/root>3</a>"
                     "<a href=\"https://Other.ORG/A\">4</a>"
                     "<a href=//cdn.example.net/lib>5</a>"
                     "<area href=./map/../area.html>"),
            (strings{"http://example.com/dir/other.html",
                     "http://example.com/up/x?q=1", "http://example.com/root",
                     "https://other.org/A", "http://cdn.example.net/lib",
                     "http://example.com/dir/area.html"}));
}

TEST(CrawlerHtmlLinks, BaseHrefIsUsedWhenValid) {
  EXPECT_EQ(links_of("<head><base href=\"https://b.example/x/\"></head>"
                     "<a href=y>y</a><a href=/z>z</a>"),
            (strings{"https://b.example/x/y", "https://b.example/z"}));
  // A relative base resolves against the page; an unusable one is ignored.
  EXPECT_EQ(links_of("<base href=/sub/><a href=y>y</a>"),
            strings{"http://example.com/sub/y"});
  EXPECT_EQ(links_of("<base href=\"javascript:void(0)\"><a href=y>y</a>"),
            strings{"http://example.com/dir/y"});
}

TEST(CrawlerHtmlLinks, FragmentsAreDroppedAndDuplicatesRemoved) {
  EXPECT_EQ(links_of("<a href=a#one>1</a><a href=a#two>2</a><a href=a>3</a>"
                     "<a href=b>4</a><a href=./a>5</a>"),
            (strings{"http://example.com/dir/a", "http://example.com/dir/b"}));
}

TEST(CrawlerHtmlLinks, OtherSchemesAreSkipped) {
  EXPECT_EQ(links_of("<a href=\"mailto:x@example.com\">m</a>"
                     "<a href=\"javascript:alert(1)\">j</a>"
                     "<a href=\"data:text/html,hi\">d</a>"
                     "<a href=\"ftp://example.com/f\">f</a>"
                     "<a href=\"tel:+123\">t</a>"
                     "<a>no href</a><a href=\"http://\">empty host</a>"
                     "<a href=ok>ok</a>"),
            strings{"http://example.com/dir/ok"});
}

TEST(CrawlerHtmlLinks, DefaultPortsAreDroppedAndWhitespaceIgnored) {
  EXPECT_EQ(links_of("<a href=\"http://example.com:80/a\">1</a>"
                     "<a href=\"https://example.com:443/b\">2</a>"
                     "<a href=\"http://example.com:8080/c\">3</a>"
                     "<a href=\"  /d\n\te  \">4</a>"),
            (strings{"http://example.com/a", "https://example.com/b",
                     "http://example.com:8080/c", "http://example.com/de"}));
}

TEST(CrawlerHtmlLinks, AtMostMaxLinks) {
  std::string body;
  for (size_t i = 0; i < max_links + 50; ++i)
    body += "<a href=/p" + std::to_string(i) + ">x</a>";
  auto links = links_of(body);
  ASSERT_EQ(links.size(), max_links);
  EXPECT_EQ(links.front(), "http://example.com/p0");
  EXPECT_EQ(links.back(),
            "http://example.com/p" + std::to_string(max_links - 1));
}

TEST(CrawlerHtmlLinks, AnInvalidPageUrlKeepsOnlyAbsoluteLinks) {
  auto page =
      parse_html("<a href=rel>r</a><a href=http://a.example/x>a</a>", "junk");
  EXPECT_EQ(page.links, strings{"http://a.example/x"});
}

// -- robots meta --------------------------------------------------------------

TEST(CrawlerHtmlRobots, NoindexAndNofollow) {
  auto page = parse("<meta name=robots content=noindex><a href=/a>a</a>");
  EXPECT_TRUE(page.noindex);
  EXPECT_FALSE(page.nofollow);
  EXPECT_EQ(page.links, strings{"http://example.com/a"});

  page = parse("<meta name=\"ROBOTS\" content=\"index, NoFollow\">"
               "<a href=/a>a</a>");
  EXPECT_FALSE(page.noindex);
  EXPECT_TRUE(page.nofollow);
  EXPECT_TRUE(page.links.empty());
}

TEST(CrawlerHtmlRobots, NoneMeansBoth) {
  auto page = parse("<meta name=robots content=none><a href=/a>a</a>");
  EXPECT_TRUE(page.noindex);
  EXPECT_TRUE(page.nofollow);
  EXPECT_TRUE(page.links.empty());
}

TEST(CrawlerHtmlRobots, OtherMetasAndWordsDoNotCount) {
  auto page = parse("<meta name=description content=noindex>"
                    "<meta name=robots content=\"index,follow,noindexed\">");
  EXPECT_FALSE(page.noindex);
  EXPECT_FALSE(page.nofollow);
}

// -- malformed and hostile input ----------------------------------------------

TEST(CrawlerHtmlMalformed, UnclosedTagsStillYieldTextAndLinks) {
  auto page = parse("<html><title>T<p>one<p>two<div><a href=x>three<b>four"
                    "<table><tr><td>five<td>six");
  // An unclosed <title> swallows the rest of the page as its text.
  EXPECT_EQ(page.title.substr(0, 1), "T");
  page = parse("<p>one<p>two<div><a href=x>three<b>four<table><tr><td>five"
               "<td>six<ul><li>seven<li>eight");
  EXPECT_EQ(page.text, "one two threefour five six seven eight");
  EXPECT_EQ(page.links, strings{"http://example.com/dir/x"});
}

TEST(CrawlerHtmlMalformed, GarbageDoesNotCrash) {
  for (std::string_view body :
       {"<", "</", "<!", "<!--", "<a href", "<a href='", "<<<>>>", "</a></p>",
        "<![CDATA[x", "<?xml", "<svg><title>x", "<math><mi><div/>",
        "<table><a href=x>y", "<script>", "<plaintext><p>x", "\0\0<p>\0</p>"}) {
    auto page = parse(body);
    EXPECT_TRUE(valid_utf8(page.text)) << body;
  }
}

TEST(CrawlerHtmlMalformed, NonUtf8BytesBecomeReplacementCharacters) {
  std::string body = "<title>caf\xe9</title><p>\xff\xfe ok \xc3\x28 \x80</p>"
                     "<a href=\"/\xe9t\xe9\">x</a>";
  auto page = parse(body);
  EXPECT_TRUE(valid_utf8(page.title));
  EXPECT_TRUE(valid_utf8(page.text));
  EXPECT_NE(page.text.find("ok"), std::string::npos);
  ASSERT_EQ(page.links.size(), 1u);
  EXPECT_EQ(page.links[0].rfind("http://example.com/", 0), 0u);
}

// Hostile nesting must neither crash (gumbo frees its tree recursively)
// nor lose the text and links below the depth limit. How long it takes is
// not asserted: unit tests carry no timing thresholds.
TEST(CrawlerHtmlMalformed, DeepNestingKeepsTheText) {
  for (std::string open :
       {"<div>", "<span>", "<b>", "<li><option><dd>", "<svg><div/>",
        "<table><tr><td>", "<b><div></b>", "<x-y>", "<font>"}) {
    std::string body;
    for (int i = 0; i < 100000; ++i)
      body += open;
    body += "deep<a href=/deep>x</a>";
    auto page = parse(body);
    EXPECT_NE(page.text.find("deep"), std::string::npos) << open;
    EXPECT_EQ(page.links, strings{"http://example.com/deep"}) << open;
  }
}

TEST(CrawlerHtmlMalformed, DeepButLegalNestingIsKept) {
  std::string body;
  for (int i = 0; i < 200; ++i)
    body += "<div><span>" + std::to_string(i);
  for (int i = 0; i < 200; ++i)
    body += "</span></div>";
  body += "<p>end";
  auto page = parse(body);
  EXPECT_EQ(page.text.substr(0, 8), "0 1 2 3 ");
  EXPECT_EQ(page.text.substr(page.text.size() - 11), "198 199 end");
}

// -- a real page --------------------------------------------------------------

namespace {

/// The PostgreSQL 15 documentation page `name`, or nullopt.
std::optional<std::string> postgres_doc(const std::string& name) {
  return read_file("/usr/share/doc/postgresql-doc-15/html/" + name);
}

constexpr std::string_view docs_url = "https://docs.example.org/15/";

} // namespace

TEST(CrawlerHtmlRealPage, PostgresqlSelectDocumentation) {
  auto html = postgres_doc("sql-select.html");
  if (!html)
    GTEST_SKIP() << "postgresql-doc-15 is not installed";
  auto page = parse_html(*html, std::string{docs_url} + "sql-select.html");
  EXPECT_NE(page.title.find("SELECT"), std::string::npos) << page.title;
  EXPECT_NE(page.text.find("FROM from_item"), std::string::npos);
  EXPECT_EQ(page.text.find("<div"), std::string::npos); // no markup
  EXPECT_FALSE(page.noindex);
  EXPECT_FALSE(page.nofollow);
  // 48 hrefs, most of them #anchors on the page itself: 15 distinct pages
  // (the mailto: link is skipped).
  EXPECT_GE(page.links.size(), 10u);
  for (const auto& link : page.links) {
    EXPECT_EQ(link.rfind(docs_url, 0), 0u) << link;
    EXPECT_EQ(link.find('#'), std::string::npos) << link;
  }
}

TEST(CrawlerHtmlRealPage, PostgresqlCommandIndexHasManyLinks) {
  auto html = postgres_doc("sql-commands.html");
  if (!html)
    GTEST_SKIP() << "postgresql-doc-15 is not installed";
  auto page = parse_html(*html, std::string{docs_url} + "sql-commands.html");
  EXPECT_EQ(page.title, "SQL Commands");
  EXPECT_GT(page.links.size(), 20u);
  for (const auto& link : page.links)
    EXPECT_EQ(link.rfind("https://docs.example.org/", 0), 0u) << link;
}
