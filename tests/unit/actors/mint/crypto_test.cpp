// Mint's password sealing: AES-256-GCM round trips, and every way a sealed
// value can be wrong (key, aad, truncation, a flipped bit) fails closed.
#include "troupe/mint/crypto.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace troupe::mint;

namespace {

constexpr const char* hex_key =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
// The same 32 bytes in standard base64.
constexpr const char* base64_key =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

secret_key parse_ok(std::string_view text) {
  std::string why;
  auto key = secret_key::parse(text, why);
  EXPECT_TRUE(key) << why;
  return key ? *key : secret_key::random();
}

std::string parse_error(std::string_view text) {
  std::string why;
  auto key = secret_key::parse(text, why);
  EXPECT_FALSE(key);
  EXPECT_FALSE(why.empty());
  return why;
}

/// A temp file holding `content`, removed when the test ends.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& content) {
    path = (std::filesystem::temp_directory_path() /
            ("mint_key_" + secret_key::random().to_hex().substr(0, 12)))
               .string();
    std::ofstream(path, std::ios::binary) << content;
  }
  ~temp_file() { std::remove(path.c_str()); }
};

} // namespace

// -- seal and open ------------------------------------------------------------

TEST(MintCrypto, RoundTrip) {
  auto key = secret_key::random();
  auto sealed = seal(key, "hunter2", "account-7");
  EXPECT_EQ(sealed.size(), 1 + 12 + 7 + 16u);
  EXPECT_EQ(sealed[0], '\x01');
  EXPECT_EQ(sealed.find("hunter2"), std::string::npos);
  EXPECT_EQ(open(key, sealed, "account-7"), "hunter2");
}

TEST(MintCrypto, BinaryAndLongPlaintextRoundTrip) {
  auto key = secret_key::random();
  std::string plain(100000, '\0');
  for (size_t i = 0; i < plain.size(); ++i)
    plain[i] = static_cast<char>(i * 31);
  EXPECT_EQ(open(key, seal(key, plain, ""), ""), plain);
}

TEST(MintCrypto, EmptyPlaintext) {
  auto key = secret_key::random();
  auto sealed = seal(key, "", "acct");
  EXPECT_EQ(sealed.size(), 29u);
  EXPECT_EQ(open(key, sealed, "acct"), "");
  EXPECT_EQ(open(key, sealed, "other"), std::nullopt);
}

TEST(MintCrypto, WrongKeyFails) {
  auto sealed = seal(secret_key::random(), "hunter2", "acct");
  EXPECT_EQ(open(secret_key::random(), sealed, "acct"), std::nullopt);
}

TEST(MintCrypto, WrongAadFails) {
  auto key = secret_key::random();
  auto sealed = seal(key, "hunter2", "account-7");
  EXPECT_EQ(open(key, sealed, "account-8"), std::nullopt);
  EXPECT_EQ(open(key, sealed, ""), std::nullopt);
  EXPECT_EQ(open(key, seal(key, "x", ""), "a"), std::nullopt);
}

TEST(MintCrypto, EveryTruncationFails) {
  auto key = secret_key::random();
  auto sealed = seal(key, "hunter2", "acct");
  for (size_t n = 0; n < sealed.size(); ++n) {
    EXPECT_EQ(open(key, std::string_view(sealed).substr(0, n), "acct"),
              std::nullopt)
        << "prefix of " << n << " bytes";
    EXPECT_EQ(
        open(key, std::string_view(sealed).substr(sealed.size() - n), "acct"),
        std::nullopt)
        << "suffix of " << n << " bytes";
  }
  EXPECT_EQ(open(key, sealed + '\0', "acct"), std::nullopt);
}

TEST(MintCrypto, AFlippedBitInAnyRegionFails) {
  auto key = secret_key::random();
  auto sealed = seal(key, "hunter2", "acct");
  // Every bit of: version (0), nonce (1..12), ciphertext (13..19), tag (20..).
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = sealed;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_EQ(open(key, bad, "acct"), std::nullopt)
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(MintCrypto, NonceDiffersBetweenSeals) {
  auto key = secret_key::random();
  auto a = seal(key, "same", "acct");
  auto b = seal(key, "same", "acct");
  EXPECT_NE(a.substr(1, 12), b.substr(1, 12));
  EXPECT_NE(a, b);
  EXPECT_EQ(open(key, a, "acct"), open(key, b, "acct"));
}

// -- parsing keys
// ---------------------------------------------------------------

TEST(MintCryptoKey, HexAndBase64GiveTheSameBytes) {
  auto from_hex = parse_ok(hex_key);
  auto from_base64 = parse_ok(base64_key);
  for (size_t i = 0; i < 32; ++i)
    EXPECT_EQ(from_hex.bytes()[i], i);
  EXPECT_EQ(from_hex.bytes(), from_base64.bytes());
  EXPECT_EQ(from_hex.to_hex(), hex_key);
}

TEST(MintCryptoKey, UpperCaseHexIsAccepted) {
  EXPECT_EQ(parse_ok("000102030405060708090A0B0C0D0E0F"
                     "101112131415161718191A1B1C1D1E1F")
                .to_hex(),
            hex_key);
}

TEST(MintCryptoKey, SurroundingWhitespaceIsIgnored) {
  EXPECT_EQ(parse_ok(std::string(hex_key) + "\n").to_hex(), hex_key);
  EXPECT_EQ(parse_ok(std::string("  \t") + hex_key + "\r\n").to_hex(), hex_key);
  EXPECT_EQ(parse_ok(std::string(base64_key) + "\n").to_hex(), hex_key);
  // Whitespace inside the key is not.
  auto spaced = std::string(hex_key);
  spaced[10] = ' ';
  parse_error(spaced);
}

TEST(MintCryptoKey, WrongLengthIsRejected) {
  auto hex = std::string(hex_key);
  parse_error("");
  parse_error("\n");
  parse_error(hex.substr(0, 62));
  parse_error(hex + "00");
  parse_error(std::string(base64_key).substr(0, 43)); // padding missing
  parse_error("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="); // 31 bytes
  EXPECT_NE(parse_error(hex.substr(0, 63)).find("63"), std::string::npos);
}

TEST(MintCryptoKey, BadCharactersAreRejectedWithoutEchoingTheKey) {
  auto hex = std::string(hex_key);
  hex[5] = 'g';
  auto why = parse_error(hex);
  EXPECT_EQ(why.find(hex), std::string::npos);
  EXPECT_EQ(why.find("0001020"), std::string::npos);

  auto b64 = std::string(base64_key);
  b64[3] = '-'; // URL-safe alphabet is not standard base64
  why = parse_error(b64);
  EXPECT_EQ(why.find("AAEC"), std::string::npos);
  b64 = base64_key;
  b64[20] = '=';
  parse_error(b64);
  b64 = base64_key;
  b64[43] = 'A'; // 44 digits, no padding: 33 bytes
  parse_error(b64);
}

TEST(MintCryptoKey, RandomKeysDiffer) {
  auto a = secret_key::random();
  auto b = secret_key::random();
  EXPECT_NE(a.bytes(), b.bytes());
  EXPECT_EQ(a.to_hex().size(), 64u);
  EXPECT_EQ(a.to_hex().find_first_not_of("0123456789abcdef"),
            std::string::npos);
  EXPECT_EQ(parse_ok(a.to_hex()).bytes(), a.bytes());
}

// -- key sources
// ----------------------------------------------------------------

TEST(MintCryptoLoadKey, NeitherSourceGivesNoKeyAndNoError) {
  auto r = load_key(nullptr, "");
  EXPECT_FALSE(r.key);
  EXPECT_EQ(r.error, "");
  r = load_key("", "");
  EXPECT_FALSE(r.key);
  EXPECT_EQ(r.error, "");
}

TEST(MintCryptoLoadKey, EnvWinsOverFile) {
  auto other = secret_key::random();
  temp_file file(other.to_hex() + "\n");
  auto r = load_key(hex_key, file.path);
  ASSERT_TRUE(r.key) << r.error;
  EXPECT_EQ(r.key->to_hex(), hex_key);
  // An empty env value does not count: the file is used.
  r = load_key("", file.path);
  ASSERT_TRUE(r.key) << r.error;
  EXPECT_EQ(r.key->bytes(), other.bytes());
  r = load_key(nullptr, file.path);
  ASSERT_TRUE(r.key) << r.error;
  EXPECT_EQ(r.key->bytes(), other.bytes());
}

TEST(MintCryptoLoadKey, InvalidEnvIsAnErrorEvenWithAGoodFile) {
  temp_file file(std::string(hex_key) + "\n");
  auto r = load_key("not-a-key-zz", file.path);
  EXPECT_FALSE(r.key);
  EXPECT_NE(r.error.find("TROUPE_MINT_KEY"), std::string::npos);
  EXPECT_EQ(r.error.find("not-a-key-zz"), std::string::npos);
}

TEST(MintCryptoLoadKey, MissingFileErrorNamesThePathNotTheKey) {
  auto path =
      (std::filesystem::temp_directory_path() / "mint_no_such_key").string();
  auto r = load_key(nullptr, path);
  EXPECT_FALSE(r.key);
  EXPECT_NE(r.error.find(path), std::string::npos);
}

TEST(MintCryptoLoadKey, InvalidFileErrorNamesThePathNotTheKey) {
  auto text = std::string(hex_key).substr(0, 60) + "zzzz";
  temp_file file(text);
  auto r = load_key(nullptr, file.path);
  EXPECT_FALSE(r.key);
  EXPECT_NE(r.error.find(file.path), std::string::npos);
  EXPECT_EQ(r.error.find(text), std::string::npos);
  EXPECT_EQ(r.error.find("0001020"), std::string::npos);

  temp_file big(std::string(10000, 'a'));
  r = load_key(nullptr, big.path);
  EXPECT_FALSE(r.key);
  EXPECT_NE(r.error.find(big.path), std::string::npos);
}

TEST(MintCryptoLoadKey, Base64FileIsAccepted) {
  temp_file file(std::string(base64_key) + "\n");
  auto r = load_key(nullptr, file.path);
  ASSERT_TRUE(r.key) << r.error;
  EXPECT_EQ(r.key->to_hex(), hex_key);
}

// -- key check
// ------------------------------------------------------------------

TEST(MintCryptoKeyCheck, MatchesOnlyTheKeyThatMadeIt) {
  auto key = secret_key::random();
  auto check = make_key_check(key);
  EXPECT_TRUE(key_matches(key, check));
  EXPECT_TRUE(key_matches(parse_ok(key.to_hex()), check));
  EXPECT_FALSE(key_matches(secret_key::random(), check));
  EXPECT_FALSE(key_matches(key, ""));
  EXPECT_FALSE(key_matches(key, check.substr(0, check.size() - 1)));
  // Another value sealed under the key is not a key check.
  EXPECT_FALSE(key_matches(key, seal(key, "troupe-mint-key-check", "other")));
  EXPECT_FALSE(key_matches(key, seal(key, "something else", "key-check")));
  EXPECT_TRUE(
      key_matches(key, seal(key, "troupe-mint-key-check", "key-check")));
}
