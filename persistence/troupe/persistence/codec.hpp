#pragma once

#include <cstddef>
#include <exception>
#include <string>
#include <string_view>

#include <msgpack.hpp>

/// msgpack encoding of persisted values.
///
/// Persisted structs declare `MSGPACK_DEFINE_MAP(field, ...)`: fields are
/// stored by name, so a newer build reading older data keeps the default of
/// every field the data lacks, and an older build ignores fields it does not
/// know. Never rename a persisted field; add a new one instead.
namespace troupe::persistence {

/// Encodes `x` as msgpack.
template <class T>
std::string encode(const T& x) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, x);
  return std::string{buf.data(), buf.size()};
}

/// Decodes exactly one msgpack object from `bytes` into `out`.
///
/// Never throws and never crashes: truncated input, garbage, a wrong type
/// (including an integer out of range of its field) and trailing bytes
/// after the object all return false, set `*err` (if given) to a short
/// reason and leave `out` untouched. On success `out` is replaced by a
/// freshly decoded `T`, so fields missing from the data have `T`'s
/// defaults. Trailing bytes are rejected because a value is always stored
/// alone; extra bytes mean the record is not what we wrote.
///
/// The unpacker limits are derived from the input size (every element
/// takes at least one byte), so a tiny forged header announcing a huge
/// array cannot make it allocate gigabytes.
template <class T>
bool decode(std::string_view bytes, T& out, std::string* err = nullptr) {
  auto fail = [err](const char* what) {
    if (err != nullptr) {
      try {
        *err = what;
      } catch (...) {
        // Out of memory while reporting: the false return says enough.
      }
    }
    return false;
  };
  try {
    auto n = bytes.size();
    msgpack::unpack_limit limit{n, n / 2, n, n, n, 64};
    std::size_t offset = 0;
    auto handle =
        msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limit);
    if (offset != n)
      return fail("trailing bytes after msgpack object");
    T tmp;
    handle.get().convert(tmp);
    out = std::move(tmp);
    return true;
  } catch (const msgpack::insufficient_bytes&) {
    return fail("truncated msgpack data");
  } catch (const msgpack::type_error&) {
    return fail("msgpack type mismatch");
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown msgpack decoding error");
  }
}

} // namespace troupe::persistence
