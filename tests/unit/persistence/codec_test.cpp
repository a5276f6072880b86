#include "troupe/persistence/codec.hpp"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "troupe/persistence/store.hpp"

using namespace troupe::persistence;

namespace {

/// Version 1 of a persisted record.
struct paste_v1 {
  std::string id;
  std::string body;
  uint64_t created = 0;
  MSGPACK_DEFINE_MAP(id, body, created)
};

/// Version 2: one field added, one with a non-zero default.
struct paste_v2 {
  std::string id;
  std::string body;
  uint64_t created = 0;
  std::vector<std::string> tags;
  int32_t views = -1;
  MSGPACK_DEFINE_MAP(id, body, created, tags, views)
};

struct nested {
  std::map<std::string, paste_v2> by_id;
  std::vector<journal_entry> entries;
  MSGPACK_DEFINE_MAP(by_id, entries)
};

/// A journal entry as written before `epoch` existed.
struct old_entry {
  uint64_t seq = 0;
  std::vector<journal_op> ops;
  MSGPACK_DEFINE_MAP(seq, ops)
};

paste_v2 sample_v2() {
  return paste_v2{"abc", "hello world", 1700000000, {"x", "y"}, 42};
}

} // namespace

TEST(persistence_codec, round_trip) {
  auto in = sample_v2();
  auto bytes = encode(in);
  paste_v2 out;
  std::string err;
  ASSERT_TRUE(decode(bytes, out, &err)) << err;
  EXPECT_EQ(out.id, in.id);
  EXPECT_EQ(out.body, in.body);
  EXPECT_EQ(out.created, in.created);
  EXPECT_EQ(out.tags, in.tags);
  EXPECT_EQ(out.views, in.views);
}

TEST(persistence_codec, round_trip_nested_and_binary) {
  nested in;
  in.by_id["a"] = sample_v2();
  in.by_id["b"].body = std::string("\0\xff\x01", 3);
  in.entries.push_back(journal_entry{7, 2, {{journal_op::put, "k", "v"}}});
  nested out;
  ASSERT_TRUE(decode(encode(in), out));
  EXPECT_EQ(out.by_id.size(), 2u);
  EXPECT_EQ(out.by_id["b"].body, std::string("\0\xff\x01", 3));
  ASSERT_EQ(out.entries.size(), 1u);
  EXPECT_EQ(out.entries[0].seq, 7u);
  EXPECT_EQ(out.entries[0].epoch, 2u);
  EXPECT_EQ(out.entries[0].ops[0].value, "v");
}

TEST(persistence_codec, plain_types) {
  uint64_t n = 0;
  ASSERT_TRUE(decode(encode(uint64_t{1} << 40), n));
  EXPECT_EQ(n, uint64_t{1} << 40);
  std::vector<std::string> v;
  ASSERT_TRUE(decode(encode(std::vector<std::string>{"a", "b"}), v));
  EXPECT_EQ(v, (std::vector<std::string>{"a", "b"}));
}

TEST(persistence_codec, every_truncation_fails_cleanly) {
  nested in;
  in.by_id["a"] = sample_v2();
  in.entries.push_back(
      journal_entry{1, 0, {{journal_op::put, "k", std::string(300, 'v')}}});
  auto bytes = encode(in);
  for (size_t len = 0; len < bytes.size(); ++len) {
    nested out;
    out.by_id["keep"] = paste_v2{};
    std::string err;
    EXPECT_FALSE(decode(std::string_view{bytes.data(), len}, out, &err))
        << "prefix length " << len;
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(out.by_id.count("keep"), 1u) << "out modified on failure";
  }
  nested out;
  EXPECT_TRUE(decode(bytes, out));
}

TEST(persistence_codec, trailing_bytes_rejected) {
  auto bytes = encode(sample_v2()) + "x";
  paste_v2 out;
  std::string err;
  EXPECT_FALSE(decode(bytes, out, &err));
  EXPECT_NE(err.find("trailing"), std::string::npos);
}

TEST(persistence_codec, garbage_bytes) {
  paste_v2 out;
  std::string err;
  EXPECT_FALSE(decode("", out, &err));
  EXPECT_FALSE(decode("\xc1", out, &err)); // Never-used type byte.
  EXPECT_FALSE(decode("hello world", out, &err));
  // A five-byte header announcing 4 billion array elements must not make
  // the decoder allocate for them.
  EXPECT_FALSE(decode(std::string_view{"\xdd\xff\xff\xff\xff", 5}, out));
  EXPECT_FALSE(decode(std::string_view{"\xdf\xff\xff\xff\xff", 5}, out));
  EXPECT_FALSE(decode(std::string_view{"\xdb\xff\xff\xff\xff", 5}, out));
  // Deep nesting.
  EXPECT_FALSE(decode(std::string(100000, '\x91'), out));
}

TEST(persistence_codec, random_and_mutated_input_never_crashes) {
  std::mt19937 rng{1234};
  auto valid = encode(sample_v2());
  for (int i = 0; i < 20000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      bytes.resize(rng() % 64);
      for (auto& c : bytes)
        c = static_cast<char>(rng());
    } else {
      bytes = valid;
      for (int flips = 1 + rng() % 3; flips > 0; --flips)
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    paste_v2 out;
    journal_entry entry;
    decode(bytes, out);
    decode(bytes, entry);
  }
  SUCCEED();
}

TEST(persistence_codec, wrong_types_fail) {
  paste_v2 out;
  std::string err;
  // Not a map at all.
  EXPECT_FALSE(decode(encode(42), out, &err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(decode(encode(std::string{"text"}), out));
  EXPECT_FALSE(decode(encode(std::vector<int>{1, 2}), out));
  // A field of the wrong type.
  EXPECT_FALSE(decode(encode(std::map<std::string, int>{{"id", 5}}), out));
  EXPECT_FALSE(decode(
      encode(std::map<std::string, std::string>{{"created", "x"}}), out));
  // An integer out of range of its field.
  journal_op op;
  EXPECT_FALSE(decode(encode(std::map<std::string, int>{{"kind", 300}}), op));
  EXPECT_FALSE(decode(encode(std::map<std::string, int>{{"kind", -1}}), op));
  // Map keys that are not strings.
  EXPECT_FALSE(decode(encode(std::map<int, int>{{1, 2}}), out));
}

TEST(persistence_codec, newer_build_reads_older_data) {
  paste_v1 old{"id1", "body", 99};
  paste_v2 out;
  out.tags = {"stale"};
  ASSERT_TRUE(decode(encode(old), out));
  EXPECT_EQ(out.id, "id1");
  EXPECT_EQ(out.body, "body");
  EXPECT_EQ(out.created, 99u);
  // Missing fields keep the struct's defaults, not the previous content.
  EXPECT_TRUE(out.tags.empty());
  EXPECT_EQ(out.views, -1);
}

TEST(persistence_codec, older_build_ignores_added_fields) {
  paste_v1 out;
  ASSERT_TRUE(decode(encode(sample_v2()), out));
  EXPECT_EQ(out.id, "abc");
  EXPECT_EQ(out.body, "hello world");
  EXPECT_EQ(out.created, 1700000000u);
}

TEST(persistence_codec, journal_entry_without_epoch_decodes) {
  old_entry in{5, {{journal_op::erase, "k", ""}}};
  journal_entry out;
  ASSERT_TRUE(decode(encode(in), out));
  EXPECT_EQ(out.seq, 5u);
  EXPECT_EQ(out.epoch, 0u);
  ASSERT_EQ(out.ops.size(), 1u);
  EXPECT_EQ(out.ops[0].kind, journal_op::erase);
}
