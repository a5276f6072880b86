// robots.txt parsing and matching (RFC 9309): a table of (file, agent,
// path) -> verdict cases covering the RFC's own examples, group selection,
// syntax edges and normalization; then crawl-delay, the fixed verdicts and
// robustness against garbage, size and pathological patterns.

#include "troupe/crawler/robots.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using troupe::crawler::normalize_robots_path;
using troupe::crawler::robots_pattern_matches;
using troupe::crawler::robots_rules;
using namespace std::string_literals;

namespace {

/// One verdict: `path` under `robots` for agent `agent`.
struct verdict_case {
  const char* name;
  std::string robots;
  const char* agent;
  const char* path;
  bool allowed;
};

/// The RFC 9309 section 5.1 example file.
const std::string rfc_example = "User-Agent: *\n"
                                "Disallow: *.gif$\n"
                                "Disallow: /example/\n"
                                "Allow: /publications/\n"
                                "\n"
                                "User-Agent: foobot\n"
                                "Disallow:/\n"
                                "Allow:/example/page.html\n"
                                "Allow:/example/allowed.gif\n"
                                "\n"
                                "User-Agent: barbot\n"
                                "User-Agent: bazbot\n"
                                "Disallow: /example/page.html\n"
                                "\n"
                                "User-Agent: quxbot\n"
                                "\n"
                                "EOF\n";

/// A group for "troupe" holding the single line `rule_line`.
std::string troupe_with(const std::string& rule_line) {
  return "user-agent: troupe\n" + rule_line + "\n";
}

const std::vector<verdict_case>& verdict_cases() {
  static const std::vector<verdict_case> cases = {
      // RFC 9309 5.1: group selection in the example file.
      {"rfc_star_gif", rfc_example, "otherbot", "/a/b.gif", false},
      {"rfc_star_example", rfc_example, "otherbot", "/example/x", false},
      {"rfc_star_publications", rfc_example, "otherbot", "/publications/x",
       true},
      {"rfc_star_other", rfc_example, "otherbot", "/other", true},
      {"rfc_foobot_root", rfc_example, "foobot", "/x", false},
      {"rfc_foobot_page", rfc_example, "foobot", "/example/page.html", true},
      {"rfc_foobot_gif", rfc_example, "foobot", "/example/allowed.gif", true},
      {"rfc_barbot_page", rfc_example, "barbot", "/example/page.html", false},
      {"rfc_bazbot_page", rfc_example, "bazbot", "/example/page.html", false},
      {"rfc_bazbot_other", rfc_example, "bazbot", "/example/other", true},
      {"rfc_quxbot_no_rules_beats_star", rfc_example, "quxbot",
       "/example/x.gif", true},
      // RFC 9309 5.2 and 2.2.2: longest match, allow wins a tie.
      {"longest_allow_p", troupe_with("allow: /p\ndisallow: /"), "troupe",
       "/page", true},
      {"longest_disallow_root", troupe_with("allow: /p\ndisallow: /"), "troupe",
       "/other", false},
      {"tie_allow_wins", troupe_with("allow: /folder\ndisallow: /folder"),
       "troupe", "/folder/page", true},
      {"tie_order_irrelevant", troupe_with("disallow: /folder\nallow: /folder"),
       "troupe", "/folder/page", true},
      {"longer_disallow_wins", troupe_with("allow: /page\ndisallow: /*.htm"),
       "troupe", "/page.htm", false},
      {"longer_allow_wins", troupe_with("allow: /$\ndisallow: /"), "troupe",
       "/", true},
      {"anchor_only_root", troupe_with("allow: /$\ndisallow: /"), "troupe",
       "/page.htm", false},
      {"rfc52_allow_dir",
       troupe_with("allow: /example/page/\n"
                   "disallow: /example/page/disallowed.gif"),
       "troupe", "/example/page/", true},
      {"rfc52_disallow_file",
       troupe_with("allow: /example/page/\n"
                   "disallow: /example/page/disallowed.gif"),
       "troupe", "/example/page/disallowed.gif", false},
      // Wildcards and the end anchor.
      {"php_end", troupe_with("disallow: /*.php$"), "troupe", "/index.php",
       false},
      {"php_dir", troupe_with("disallow: /*.php$"), "troupe", "/folder/any.php",
       false},
      {"php_query", troupe_with("disallow: /*.php$"), "troupe",
       "/filename.php?parameters", true},
      {"php_suffix", troupe_with("disallow: /*.php$"), "troupe",
       "/filename.php5", true},
      {"php_windows", troupe_with("disallow: /*.php$"), "troupe",
       "/windows.PHP", true},
      {"php_prefix", troupe_with("disallow: /*.php"), "troupe",
       "/filename.php?parameters", false},
      {"fish_star_plain", troupe_with("disallow: /fish*"), "troupe", "/fish",
       false},
      {"fish_star_html", troupe_with("disallow: /fish*"), "troupe",
       "/fish.html", false},
      {"fish_star_heads", troupe_with("disallow: /fish*"), "troupe",
       "/fishheads/yummy.html", false},
      {"fish_star_case", troupe_with("disallow: /fish*"), "troupe", "/Fish.asp",
       true},
      {"fish_star_catfish", troupe_with("disallow: /fish*"), "troupe",
       "/catfish", true},
      {"fish_prefix_query", troupe_with("disallow: /fish"), "troupe",
       "/fish.php?id=anything", false},
      {"fish_slash_dir", troupe_with("disallow: /fish/"), "troupe",
       "/fish/salmon.htm", false},
      {"fish_slash_query", troupe_with("disallow: /fish/"), "troupe",
       "/fish/?id=anything", false},
      {"fish_slash_plain", troupe_with("disallow: /fish/"), "troupe", "/fish",
       true},
      {"fish_slash_html", troupe_with("disallow: /fish/"), "troupe",
       "/fish.html", true},
      {"star_everything", troupe_with("disallow: /*"), "troupe", "/anything",
       false},
      {"middle_dollar_literal", troupe_with("disallow: /a$b"), "troupe", "/a$b",
       false},
      {"middle_dollar_not_anchor", troupe_with("disallow: /a$b"), "troupe",
       "/a", true},
      {"star_then_anchor", troupe_with("disallow: /*/x$"), "troupe", "/a/b/x",
       false},
      {"star_then_anchor_longer", troupe_with("disallow: /*/x$"), "troupe",
       "/a/b/xy", true},
      {"repeated_segment", troupe_with("disallow: /*ab*ab$"), "troupe",
       "/xabyab", false},
      {"overlapping_anchor", troupe_with("disallow: /*aba$"), "troupe", "/ab",
       true},
      // Percent-encoding (RFC 9309 2.2.2 table).
      {"pct_query_pattern", troupe_with("disallow: /foo/bar?baz=quz"), "troupe",
       "/foo/bar?baz=quz", false},
      {"pct_unicode_pattern", troupe_with("disallow: /foo/bar/\xE3\x83\x84"),
       "troupe", "/foo/bar/%E3%83%84", false},
      {"pct_encoded_pattern", troupe_with("disallow: /foo/bar/%E3%83%84"),
       "troupe", "/foo/bar/%E3%83%84", false},
      {"pct_lowercase_hex", troupe_with("disallow: /foo/bar/%e3%83%84"),
       "troupe", "/foo/bar/%E3%83%84", false},
      {"pct_unreserved_pattern", troupe_with("disallow: /foo/bar/%62%61%7A"),
       "troupe", "/foo/bar/baz", false},
      {"pct_unreserved_path", troupe_with("disallow: /foo/bar/baz"), "troupe",
       "/foo/bar/%62%61%7A", false},
      {"pct_literal_star", troupe_with("disallow: /path/file-with-a-%2A.html"),
       "troupe", "/path/file-with-a-*.html", false},
      {"pct_literal_star_not_wild",
       troupe_with("disallow: /path/file-with-a-%2A.html"), "troupe",
       "/path/file-with-a-x.html", true},
      {"pct_literal_dollar", troupe_with("disallow: /path/foo-%24"), "troupe",
       "/path/foo-$", false},
      {"pct_reserved_kept", troupe_with("disallow: /a%2Fb"), "troupe", "/a/b",
       true},
      // User-agent selection.
      {"ua_specific_over_star",
       "user-agent: *\ndisallow: /\nuser-agent: troupe\nallow: /\n", "troupe",
       "/x", true},
      {"ua_star_fallback",
       "user-agent: other\nallow: /\nuser-agent: *\ndisallow: /\n", "troupe",
       "/x", false},
      {"ua_case_insensitive", "User-Agent: TrOuPe\nDisallow: /x\n", "troupe",
       "/x", false},
      {"ua_token_case_insensitive", "user-agent: troupe\ndisallow: /x\n",
       "TROUPE", "/x", false},
      {"ua_version_suffix", "user-agent: troupe/1.0\ndisallow: /x\n", "troupe",
       "/x", false},
      {"ua_no_prefix_match", "user-agent: troupebot\ndisallow: /x\n", "troupe",
       "/x", true},
      {"ua_combined_first",
       "user-agent: troupe\ndisallow: /a\nuser-agent: *\ndisallow: /\n"
       "user-agent: troupe\ndisallow: /b\n",
       "troupe", "/a", false},
      {"ua_combined_second",
       "user-agent: troupe\ndisallow: /a\nuser-agent: *\ndisallow: /\n"
       "user-agent: troupe\ndisallow: /b\n",
       "troupe", "/b", false},
      {"ua_combined_star_ignored",
       "user-agent: troupe\ndisallow: /a\nuser-agent: *\ndisallow: /\n"
       "user-agent: troupe\ndisallow: /b\n",
       "troupe", "/c", true},
      {"ua_star_groups_combined",
       "user-agent: *\ndisallow: /a\nuser-agent: x\ndisallow: /\n"
       "user-agent: *\ndisallow: /b\n",
       "troupe", "/b", false},
      {"ua_multi_line_group",
       "user-agent: a\nuser-agent: troupe\nuser-agent: b\ndisallow: /x\n",
       "troupe", "/x", false},
      {"ua_no_match_no_star", "user-agent: other\ndisallow: /\n", "troupe",
       "/x", true},
      {"ua_new_group_after_rule",
       "user-agent: troupe\ndisallow: /x\nuser-agent: other\ndisallow: /y\n",
       "troupe", "/y", true},
      // Syntax.
      {"comment_line", "# user-agent: troupe\nuser-agent: *\ndisallow: /x\n",
       "troupe", "/x", false},
      {"comment_trailing", troupe_with("disallow: /x # not /y"), "troupe", "/x",
       false},
      {"comment_hides_rule", troupe_with("# disallow: /x"), "troupe", "/x",
       true},
      {"crlf", "user-agent: troupe\r\ndisallow: /x\r\n", "troupe", "/x", false},
      {"crlf_other_path", "user-agent: troupe\r\ndisallow: /x\r\n", "troupe",
       "/y", true},
      {"cr_only", "user-agent: troupe\rdisallow: /x\r", "troupe", "/x", false},
      {"bom", "\xEF\xBB\xBFuser-agent: troupe\ndisallow: /x\n", "troupe", "/x",
       false},
      {"empty_disallow", troupe_with("disallow:"), "troupe", "/x", true},
      {"empty_disallow_spaces", troupe_with("disallow:   \t"), "troupe", "/x",
       true},
      {"rules_before_agent", "disallow: /\nuser-agent: troupe\nallow: /y\n",
       "troupe", "/x", true},
      {"rules_before_any_agent_only", "disallow: /\n", "troupe", "/x", true},
      {"key_case", "USER-AGENT: troupe\nDISALLOW: /x\n", "troupe", "/x", false},
      {"whitespace_around", "  user-agent  :  troupe  \n\tdisallow\t:\t/x\t\n",
       "troupe", "/x", false},
      {"no_colon_ignored", "user-agent: troupe\ndisallow /x\n", "troupe", "/x",
       true},
      {"sitemap_keeps_group",
       "user-agent: troupe\nsitemap: https://a/s.xml\ndisallow: /x\n", "troupe",
       "/x", false},
      {"unknown_key_keeps_group",
       "user-agent: troupe\ndisallow: /x\nfoo: bar\ndisallow: /y\n", "troupe",
       "/y", false},
      {"blank_line_keeps_group", "user-agent: troupe\n\ndisallow: /x\n",
       "troupe", "/x", false},
      // Fixed verdicts.
      {"robots_txt_always", troupe_with("disallow: /"), "troupe", "/robots.txt",
       true},
      {"robots_txt_query", troupe_with("disallow: /"), "troupe",
       "/robots.txt?x=1", true},
      {"robots_txt_not_prefix", troupe_with("disallow: /"), "troupe",
       "/robots.txt.bak", false},
      {"no_rules_allowed", "", "troupe", "/anything", true},
      {"empty_path_is_root", troupe_with("disallow: /$"), "troupe", "", false},
  };
  return cases;
}

} // namespace

TEST(CrawlerRobots, VerdictTable) {
  for (const auto& c : verdict_cases()) {
    auto rules = robots_rules::parse(c.robots, c.agent);
    EXPECT_EQ(rules.allowed(c.path), c.allowed)
        << c.name << ": agent " << c.agent << ", path " << c.path;
  }
}

TEST(CrawlerRobots, NormalizesBothSides) {
  EXPECT_EQ(normalize_robots_path("/a%7eb%2f%41", false), "/a~b%2FA");
  EXPECT_EQ(normalize_robots_path("/a b\xC3\xA9", false), "/a%20b%C3%A9");
  EXPECT_EQ(normalize_robots_path("/*$", false), "/%2A%24");
  EXPECT_EQ(normalize_robots_path("/*$$", true), "/*%24$");
  EXPECT_EQ(normalize_robots_path("/100%", false), "/100%");
  EXPECT_EQ(normalize_robots_path("/%zz", true), "/%zz");
}

TEST(CrawlerRobots, CrawlDelay) {
  auto text = "user-agent: *\ncrawl-delay: 3\n"
              "user-agent: troupe\nCrawl-Delay: 0.5\ncrawl-delay: 9\n";
  EXPECT_EQ(robots_rules::parse(text, "troupe").crawl_delay(), 0.5);
  EXPECT_EQ(robots_rules::parse(text, "other").crawl_delay(), 3.0);
  auto no_delay = "user-agent: troupe\ndisallow: /x\n";
  EXPECT_EQ(robots_rules::parse(no_delay, "troupe").crawl_delay(),
            std::nullopt);
  auto bad = "user-agent: troupe\ncrawl-delay: soon\ncrawl-delay: -1\n";
  EXPECT_EQ(robots_rules::parse(bad, "troupe").crawl_delay(), std::nullopt);
  auto later = "user-agent: troupe\ncrawl-delay: x\ncrawl-delay: 2\n";
  EXPECT_EQ(robots_rules::parse(later, "troupe").crawl_delay(), 2.0);
}

TEST(CrawlerRobots, FixedVerdicts) {
  auto all = robots_rules::allow_all();
  EXPECT_TRUE(all.allowed("/"));
  EXPECT_TRUE(all.allowed("/private?x=1"));
  EXPECT_EQ(all.crawl_delay(), std::nullopt);
  auto none = robots_rules::disallow_all();
  EXPECT_FALSE(none.allowed("/"));
  EXPECT_FALSE(none.allowed("/page"));
  EXPECT_FALSE(none.allowed("?q"));
  EXPECT_TRUE(none.allowed("/robots.txt"));
}

TEST(CrawlerRobots, PathologicalPatternIsLinear) {
  auto rules = robots_rules::parse(
      "user-agent: troupe\ndisallow: /*a*a*a*a*a*a*a*a*b\n", "troupe");
  std::string path = "/" + std::string(100'000, 'a');
  EXPECT_TRUE(rules.allowed(path));
  EXPECT_FALSE(rules.allowed(path + "b"));
  EXPECT_TRUE(robots_pattern_matches("/*a*a*a*a*a*a*a*a*b$", "/aaaaaaaab"));
  EXPECT_FALSE(robots_pattern_matches("/*a*a*a*a*a*a*a*a*b$", "/aaaaaaab"));
}

TEST(CrawlerRobots, GarbageDoesNotCrash) {
  std::string text;
  for (int i = 0; i < 70'000; ++i)
    text += static_cast<char>((i * 7919) % 256);
  text += "\nuser-agent: troupe\ndisallow: /x\0y\n\0\0"s;
  auto rules = robots_rules::parse(text, "troupe");
  EXPECT_TRUE(rules.allowed("/x"));
  EXPECT_FALSE(rules.allowed("/x%00y/z"));
  auto huge_line =
      "user-agent: troupe\ndisallow: /" + std::string(1 << 20, 'z');
  EXPECT_TRUE(robots_rules::parse(huge_line, "troupe").allowed("/zz"));
  EXPECT_TRUE(robots_rules::parse("::::\n:\n#\n\n\r\r", "troupe").allowed("/"));
}

TEST(CrawlerRobots, ManyRulesAndSizeLimit) {
  std::string text = "user-agent: troupe\n";
  for (int i = 0; i < 100'000; ++i)
    text += "disallow: /d" + std::to_string(i) + "$\n";
  text += "disallow: /late\n";
  ASSERT_GT(text.size(), robots_rules::max_bytes);
  auto rules = robots_rules::parse(text, "troupe");
  EXPECT_FALSE(rules.allowed("/d0"));
  EXPECT_FALSE(rules.allowed("/d20000"));
  EXPECT_TRUE(rules.allowed("/other"));
  // Lines past the first 500 KiB are not read.
  EXPECT_LT(rules.rules().size(), 100'000u);
  EXPECT_TRUE(rules.allowed("/d99999"));
  EXPECT_TRUE(rules.allowed("/late"));
}
