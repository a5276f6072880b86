#pragma once

// The node link's frames: how one node's edge sends keyed requests to the
// node serving their shard, and gets the replies, without CAF's middleman
// (docs/design.md, "The node link").
//
// A frame is a 4-byte little-endian length, then that many bytes:
//   hello    u8 1, u64 cluster hash, node name (the rest)
//   request  u8 2, u64 id, u16 shard, u8 n, service (n bytes), message
//   reply    u8 3, u64 id, message
// `message` is a `caf::message` in CAF's binary format (an error reply is a
// message holding a `caf::error`). Integers are little-endian. Many frames
// travel in one TCP write: a connection writes whatever queued while its
// previous write was in flight.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

namespace troupe::http::link {

enum class frame_type : uint8_t { hello = 1, request = 2, reply = 3 };

/// Frames above this many bytes end the connection (a protocol error).
constexpr size_t max_frame_bytes = size_t{64} << 20;

/// A frame parsed in place: `payload` points into the reader's buffer and
/// is valid until the next call of `frame_reader::next`.
struct frame {
  frame_type type = frame_type::hello;
  /// hello: the cluster hash; request and reply: the request id.
  uint64_t id = 0;
  uint16_t shard = 0;
  /// hello: the node's name; request: the service.
  std::string_view name;
  const char* payload = nullptr;
  size_t payload_size = 0;
};

/// Appends a hello frame.
void append_hello(std::vector<char>& out, uint64_t cluster_hash,
                  std::string_view node);

/// Appends a request frame; false (nothing appended) if `msg` does not
/// serialize or `service` is longer than 255 bytes.
bool append_request(caf::actor_system& sys, std::vector<char>& out, uint64_t id,
                    std::string_view service, uint16_t shard,
                    const caf::message& msg);

/// Appends a reply frame; a reply that does not serialize is sent as an
/// error message instead.
void append_reply(caf::actor_system& sys, std::vector<char>& out, uint64_t id,
                  const caf::message& msg);

/// Decodes a message payload; an error if the bytes are not one whole
/// message.
caf::expected<caf::message> decode_message(caf::actor_system& sys,
                                           const char* data, size_t size);

/// Cuts a byte stream into frames.
class frame_reader {
public:
  enum class result { frame, need_more, error };

  /// Returns where to read the next bytes into (at least `min` bytes).
  char* prepare(size_t min);

  /// Commits `n` bytes read into the space `prepare` gave.
  void commit(size_t n) { end_ += n; }

  /// Parses the next whole frame into `out`; `error` sets `why`.
  result next(frame& out, std::string& why);

private:
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

} // namespace troupe::http::link
