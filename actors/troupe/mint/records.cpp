#include "troupe/mint/records.hpp"

namespace troupe::mint {

namespace {

void append_be(std::string& out, uint64_t n, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
    out += static_cast<char>((n >> shift) & 0xff);
}

} // namespace

std::string seq_key(char prefix, uint64_t n) {
  std::string key{prefix};
  append_be(key, n, 8);
  return key;
}

std::string manual_key(std::string_view user, uint32_t id) {
  std::string key{"m"};
  key += user;
  key += '\0';
  append_be(key, id, 4);
  return key;
}

std::string note_key(std::string_view user, int32_t month, uint8_t cat,
                     bool exceeded) {
  std::string key{"n"};
  key += user;
  key += '\0';
  append_be(key, static_cast<uint32_t>(month), 4);
  key += static_cast<char>(cat);
  key += static_cast<char>(exceeded ? 1 : 0);
  return key;
}

} // namespace troupe::mint
