#include "troupe/cache/lru_table.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace troupe::cache {

namespace {

constexpr size_t initial_buckets = 16;

/// Bytes of the bucket array charged per entry (see `charge_of`).
constexpr uint64_t slot_charge = 2 * sizeof(void*);

/// Rounds `n` up to jemalloc's size classes: multiples of 16 up to 128,
/// then four classes per power of two.
size_t size_class(size_t n) noexcept {
  if (n <= 128)
    return (n + 15) & ~size_t{15};
  size_t pow = 128;
  while (pow * 2 < n)
    pow *= 2;
  size_t step = pow / 4;
  return (n + step - 1) / step * step;
}

} // namespace

lru_table::lru_table(uint64_t capacity_bytes)
    : buckets_(new entry*[initial_buckets]()), mask_(initial_buckets - 1) {
  stats_.capacity_bytes = capacity_bytes;
}

lru_table::~lru_table() {
  auto* e = head_;
  while (e != nullptr) {
    auto* next = e->older;
    ::operator delete(e, alloc_size(e->key_size, e->value_size));
    e = next;
  }
}

size_t lru_table::alloc_size(size_t key_size, size_t value_size) noexcept {
  auto raw = offsetof(entry, bytes) + key_size + value_size;
  return size_class(raw < sizeof(entry) ? sizeof(entry) : raw);
}

uint64_t lru_table::charge_of(size_t key_size, size_t value_size) noexcept {
  return alloc_size(key_size, value_size) + slot_charge;
}

uint32_t lru_table::hash_of(std::string_view key) noexcept {
  // The upper half: shards are picked by the low bits of a different hash,
  // but keep the two independent anyway.
  return static_cast<uint32_t>(XXH3_64bits(key.data(), key.size()) >> 32);
}

lru_table::entry** lru_table::find_slot(std::string_view key,
                                        uint32_t hash) noexcept {
  auto** slot = &buckets_[hash & mask_];
  while (*slot != nullptr) {
    auto* e = *slot;
    if (e->hash == hash && e->key() == key)
      return slot;
    slot = &e->chain;
  }
  return slot;
}

void lru_table::link_front(entry* e) noexcept {
  e->newer = nullptr;
  e->older = head_;
  if (head_ != nullptr)
    head_->newer = e;
  head_ = e;
  if (tail_ == nullptr)
    tail_ = e;
}

void lru_table::unlink(entry* e) noexcept {
  (e->newer != nullptr ? e->newer->older : head_) = e->older;
  (e->older != nullptr ? e->older->newer : tail_) = e->newer;
}

void lru_table::remove(entry** slot) noexcept {
  auto* e = *slot;
  *slot = e->chain;
  unlink(e);
  --stats_.entries;
  stats_.bytes -= charge_of(e->key_size, e->value_size);
  ::operator delete(e, alloc_size(e->key_size, e->value_size));
}

void lru_table::remove(entry* e) noexcept {
  auto** slot = &buckets_[e->hash & mask_];
  while (*slot != e)
    slot = &(*slot)->chain;
  remove(slot);
}

void lru_table::evict_tail(int64_t now) noexcept {
  ++(tail_->expired(now) ? stats_.expired : stats_.evictions);
  remove(tail_);
}

void lru_table::grow() {
  auto n = (mask_ + 1) * 2;
  std::unique_ptr<entry* []> next { new entry*[n]() };
  for (size_t i = 0; i <= mask_; ++i) {
    auto* e = buckets_[i];
    while (e != nullptr) {
      auto* chain = e->chain;
      auto& head = next[e->hash & (n - 1)];
      e->chain = head;
      head = e;
      e = chain;
    }
  }
  buckets_ = std::move(next);
  mask_ = n - 1;
  cursor_ &= mask_;
}

std::optional<std::string_view> lru_table::get(std::string_view key,
                                               int64_t now) {
  auto** slot = find_slot(key, hash_of(key));
  auto* e = *slot;
  if (e == nullptr || e->expired(now)) {
    if (e != nullptr) {
      ++stats_.expired;
      remove(slot);
    }
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.hits;
  if (e != head_) {
    unlink(e);
    link_front(e);
  }
  return e->value();
}

bool lru_table::set(std::string_view key, std::string_view value,
                    int64_t expires_at, int64_t now) {
  auto charge = charge_of(key.size(), value.size());
  if (charge > stats_.capacity_bytes ||
      key.size() > std::numeric_limits<uint16_t>::max() ||
      value.size() > std::numeric_limits<uint32_t>::max())
    return false;
  auto hash = hash_of(key);
  auto** slot = find_slot(key, hash);
  if (auto* old = *slot; old != nullptr) {
    // Same size class: overwrite in place, the charge does not change.
    if (alloc_size(key.size(), value.size()) ==
        alloc_size(old->key_size, old->value_size)) {
      std::memcpy(old->data() + old->key_size, value.data(), value.size());
      old->value_size = static_cast<uint32_t>(value.size());
      old->expires_at = expires_at;
      unlink(old);
      link_front(old);
      return true;
    }
    remove(slot);
  }
  while (stats_.bytes + charge > stats_.capacity_bytes)
    evict_tail(now);
  auto size = alloc_size(key.size(), value.size());
  auto* e = static_cast<entry*>(::operator new(size));
  e->hash = hash;
  e->expires_at = expires_at;
  e->key_size = static_cast<uint16_t>(key.size());
  e->value_size = static_cast<uint32_t>(value.size());
  std::memcpy(e->data(), key.data(), key.size());
  std::memcpy(e->data() + key.size(), value.data(), value.size());
  if (stats_.entries >= mask_ + 1)
    grow();
  auto& head = buckets_[hash & mask_];
  e->chain = head;
  head = e;
  link_front(e);
  ++stats_.entries;
  stats_.bytes += charge;
  return true;
}

bool lru_table::erase(std::string_view key, int64_t now) {
  auto** slot = find_slot(key, hash_of(key));
  auto* e = *slot;
  if (e == nullptr)
    return false;
  bool live = !e->expired(now);
  if (!live)
    ++stats_.expired;
  remove(slot);
  return live;
}

lru_table::sweep_result lru_table::sweep(int64_t now, size_t max_buckets) {
  sweep_result result;
  auto n = std::min(max_buckets, mask_ + 1);
  for (size_t i = 0; i < n; ++i) {
    auto** slot = &buckets_[cursor_];
    while (*slot != nullptr) {
      ++result.examined;
      if ((*slot)->expired(now)) {
        ++stats_.expired;
        ++result.removed;
        remove(slot);
      } else {
        slot = &(*slot)->chain;
      }
    }
    cursor_ = (cursor_ + 1) & mask_;
  }
  return result;
}

std::optional<std::string_view> lru_table::oldest() const {
  if (tail_ == nullptr)
    return std::nullopt;
  return tail_->key();
}

} // namespace troupe::cache
