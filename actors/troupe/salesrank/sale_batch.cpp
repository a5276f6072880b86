#include "troupe/salesrank/sale_batch.hpp"

namespace troupe::salesrank {

namespace {

void put_be32(std::string& out, uint32_t x) {
  out += static_cast<char>(x >> 24);
  out += static_cast<char>(x >> 16);
  out += static_cast<char>(x >> 8);
  out += static_cast<char>(x);
}

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
}

} // namespace

bool valid_id(std::string_view text) {
  if (text.empty() || text.size() > max_id_bytes)
    return false;
  for (char c : text)
    if (!id_char(c))
      return false;
  return true;
}

void sale_batch::add(uint32_t hour, uint32_t quantity,
                     std::string_view category, std::string_view product) {
  put_be32(bytes_, hour);
  put_be32(bytes_, quantity);
  bytes_ += static_cast<char>(category.size());
  bytes_.append(category.data(), category.size());
  bytes_ += static_cast<char>(product.size());
  bytes_.append(product.data(), product.size());
  ++count_;
}

std::string sale_batch::take() {
  std::string out;
  out.swap(bytes_);
  count_ = 0;
  return out;
}

} // namespace troupe::salesrank
