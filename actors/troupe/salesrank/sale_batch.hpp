#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::salesrank {

/// Ids of products and categories: 1 to 64 bytes of [A-Za-z0-9_.:-].
constexpr size_t max_id_bytes = 64;

/// Returns whether `text` is a valid product or category id.
bool valid_id(std::string_view text);

/// One accepted sale as the ranking needs it.
struct sale {
  /// Hours since the Unix epoch (UTC) of the sale's timestamp.
  uint32_t hour = 0;
  uint32_t quantity = 0;
  std::string_view category;
  std::string_view product;
};

/// A batch of sales in one flat string, the same bytes in the message to a
/// category shard and in its journal: per sale `hour` (4 bytes, big
/// endian), `quantity` (4), the category's length (1) and bytes, the
/// product's length (1) and bytes.
class sale_batch {
public:
  /// Appends one sale (ids must be valid).
  void add(uint32_t hour, uint32_t quantity, std::string_view category,
           std::string_view product);

  /// Number of sales added.
  size_t size() const { return count_; }

  bool empty() const { return count_ == 0; }

  /// Returns the encoded bytes and empties the batch.
  std::string take();

  /// Decodes `bytes`, calling `f(const sale&)` for each sale in order;
  /// returns false (after calling `f` for the sales before) if the bytes
  /// are truncated or hold an invalid sale.
  template <class F>
  static bool for_each(std::string_view bytes, F f);

private:
  std::string bytes_;
  size_t count_ = 0;
};

/// Reads a big-endian 32-bit value at `p` (4 readable bytes).
inline uint32_t read_be32(const char* p) {
  auto b = [p](int i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(p[i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

template <class F>
bool sale_batch::for_each(std::string_view bytes, F f) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (bytes.size() - i < 9)
      return false;
    sale s;
    s.hour = read_be32(bytes.data() + i);
    s.quantity = read_be32(bytes.data() + i + 4);
    size_t clen = static_cast<uint8_t>(bytes[i + 8]);
    i += 9;
    if (bytes.size() - i < clen + 1)
      return false;
    s.category = bytes.substr(i, clen);
    i += clen;
    size_t plen = static_cast<uint8_t>(bytes[i]);
    i += 1;
    if (bytes.size() - i < plen)
      return false;
    s.product = bytes.substr(i, plen);
    i += plen;
    if (s.quantity == 0 || !valid_id(s.category) || !valid_id(s.product))
      return false;
    f(s);
  }
  return true;
}

} // namespace troupe::salesrank
