#include "troupe/cache/snapshot.hpp"

#include <exception>

#include <msgpack.hpp>

namespace troupe::cache {

namespace {

constexpr uint64_t format_version = 1;

/// Appends to a string reserved up front: no reallocation, no final copy.
struct string_sink {
  std::string& out;
  void write(const char* data, size_t size) { out.append(data, size); }
};

using packer = msgpack::packer<string_sink>;

void pack_bin(packer& pk, std::string_view x) {
  pk.pack_bin(static_cast<uint32_t>(x.size()));
  pk.pack_bin_body(x.data(), static_cast<uint32_t>(x.size()));
}

/// Returns the `entries` array of a decoded snapshot, or why it has none.
const msgpack::object* entries_of(const msgpack::object& root,
                                  std::string& error) {
  if (root.type != msgpack::type::MAP) {
    error = "not a msgpack map";
    return nullptr;
  }
  const msgpack::object* entries = nullptr;
  uint64_t version = 0;
  for (const auto& kv : root.via.map) {
    if (kv.key.type != msgpack::type::STR)
      continue;
    auto name = kv.key.as<std::string_view>();
    if (name == "version" && kv.val.type == msgpack::type::POSITIVE_INTEGER)
      version = kv.val.via.u64;
    else if (name == "entries" && kv.val.type == msgpack::type::ARRAY)
      entries = &kv.val;
  }
  if (version != format_version)
    error = "unknown snapshot version " + std::to_string(version);
  else if (entries == nullptr)
    error = "no entries array";
  return error.empty() ? entries : nullptr;
}

bool well_formed(const msgpack::object& e) {
  if (e.type != msgpack::type::ARRAY || e.via.array.size != 3)
    return false;
  const auto* f = e.via.array.ptr;
  return f[0].type == msgpack::type::BIN && f[1].type == msgpack::type::BIN &&
         (f[2].type == msgpack::type::POSITIVE_INTEGER ||
          f[2].type == msgpack::type::NEGATIVE_INTEGER);
}

std::string_view bin_of(const msgpack::object& x) {
  return {x.via.bin.ptr, x.via.bin.size};
}

} // namespace

std::string encode_snapshot(const lru_table& table, int64_t now) {
  size_t live = 0;
  size_t payload = 0;
  table.for_each_oldest_first(
      [&](std::string_view key, std::string_view value, int64_t expires_at) {
        if (expires_at != 0 && now >= expires_at)
          return;
        ++live;
        payload += key.size() + value.size();
      });
  // Per entry at most: array 1, two bin headers 5 + 5, an int64 9.
  std::string out;
  out.reserve(32 + payload + live * 20);
  string_sink sink{out};
  packer pk{sink};
  pk.pack_map(2);
  pk.pack(std::string_view{"version"});
  pk.pack(format_version);
  pk.pack(std::string_view{"entries"});
  pk.pack_array(static_cast<uint32_t>(live));
  table.for_each_oldest_first(
      [&](std::string_view key, std::string_view value, int64_t expires_at) {
        if (expires_at != 0 && now >= expires_at)
          return;
        pk.pack_array(3);
        pack_bin(pk, key);
        pack_bin(pk, value);
        pk.pack(expires_at);
      });
  return out;
}

restore_result restore_snapshot(std::string_view blob, int64_t now,
                                lru_table& table, const key_filter& keep) {
  restore_result result;
  msgpack::object_handle handle;
  try {
    // Every element takes at least one byte: the blob's size bounds them.
    auto limit = blob.size();
    msgpack::unpack_limit limits{limit, limit, limit, limit, limit};
    // Reference bins in `blob` instead of copying them.
    auto by_reference = [](msgpack::type::object_type, size_t, void*) {
      return true;
    };
    size_t offset = 0;
    handle = msgpack::unpack(blob.data(), blob.size(), offset, by_reference,
                             nullptr, limits);
    if (offset != blob.size())
      result.error = "trailing bytes after the snapshot";
  } catch (const std::exception& ex) {
    result.error = std::string{"malformed msgpack: "} + ex.what();
  }
  if (!result.error.empty())
    return result;
  const auto* entries = entries_of(handle.get(), result.error);
  if (entries == nullptr)
    return result;
  for (const auto& e : entries->via.array)
    if (!well_formed(e)) {
      result.error = "an entry is not [bin key, bin value, int expires_at]";
      return result;
    }
  for (const auto& e : entries->via.array) {
    const auto* f = e.via.array.ptr;
    auto expires_at = f[2].as<int64_t>();
    if (expires_at != 0 && now >= expires_at) {
      ++result.expired;
      continue;
    }
    auto key = bin_of(f[0]);
    if (keep && !keep(key))
      continue;
    if (table.set(key, bin_of(f[1]), expires_at, now))
      ++result.restored;
  }
  return result;
}

} // namespace troupe::cache
