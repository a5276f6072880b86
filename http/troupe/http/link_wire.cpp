#include "troupe/http/link_wire.hpp"

#include <cstring>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "troupe/runtime/errors.hpp"

namespace troupe::http::link {

namespace {

template <class T>
void put(std::vector<char>& out, T x) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out.push_back(
        static_cast<char>((static_cast<uint64_t>(x) >> (8 * i)) & 0xff));
}

template <class T>
T get(const char* p) {
  uint64_t x = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    x |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return static_cast<T>(x);
}

/// Starts a frame: room for its length, then its type; returns where the
/// length goes.
size_t begin_frame(std::vector<char>& out, frame_type type) {
  auto at = out.size();
  put<uint32_t>(out, 0);
  out.push_back(static_cast<char>(type));
  return at;
}

void end_frame(std::vector<char>& out, size_t at) {
  auto n = static_cast<uint32_t>(out.size() - at - 4);
  for (size_t i = 0; i < 4; ++i)
    out[at + i] = static_cast<char>((n >> (8 * i)) & 0xff);
}

bool serialize(caf::actor_system& sys, std::vector<char>& out,
               const caf::message& msg) {
  caf::binary_serializer sink{sys, out};
  auto copy = msg; // shares the content; the serializer takes a mutable ref
  return !sink(copy);
}

} // namespace

void append_hello(std::vector<char>& out, uint64_t cluster_hash,
                  std::string_view node) {
  auto at = begin_frame(out, frame_type::hello);
  put<uint64_t>(out, cluster_hash);
  out.insert(out.end(), node.begin(), node.end());
  end_frame(out, at);
}

bool append_request(caf::actor_system& sys, std::vector<char>& out, uint64_t id,
                    std::string_view service, uint16_t shard,
                    const caf::message& msg) {
  if (service.size() > 255)
    return false;
  auto at = begin_frame(out, frame_type::request);
  put<uint64_t>(out, id);
  put<uint16_t>(out, shard);
  out.push_back(static_cast<char>(service.size()));
  out.insert(out.end(), service.begin(), service.end());
  if (!serialize(sys, out, msg) || out.size() - at - 4 > max_frame_bytes) {
    out.resize(at);
    return false;
  }
  end_frame(out, at);
  return true;
}

void append_reply(caf::actor_system& sys, std::vector<char>& out, uint64_t id,
                  const caf::message& msg) {
  auto at = begin_frame(out, frame_type::reply);
  put<uint64_t>(out, id);
  auto body = out.size();
  if (!serialize(sys, out, msg) || out.size() - at - 4 > max_frame_bytes) {
    out.resize(body);
    serialize(sys, out,
              caf::make_message(runtime::make_error(
                  runtime::errc::unavailable,
                  "the reply could not be sent over the node link")));
  }
  end_frame(out, at);
}

caf::expected<caf::message> decode_message(caf::actor_system& sys,
                                           const char* data, size_t size) {
  if (size == 0) // CAF reads no bytes as an empty message
    return runtime::make_error(runtime::errc::invalid_argument,
                               "empty link message");
  caf::binary_deserializer source{sys, data, size};
  caf::message msg;
  if (auto err = source(msg))
    return err;
  if (source.remaining() != 0)
    return runtime::make_error(runtime::errc::invalid_argument,
                               "trailing bytes after a link message");
  return msg;
}

char* frame_reader::prepare(size_t min) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0 && buf_.size() - end_ < min) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < min)
    buf_.resize(end_ + min);
  return buf_.data() + end_;
}

frame_reader::result frame_reader::next(frame& out, std::string& why) {
  auto avail = end_ - begin_;
  if (avail < 4)
    return result::need_more;
  const char* p = buf_.data() + begin_;
  auto len = get<uint32_t>(p);
  if (len > max_frame_bytes || len < 1) {
    why = "bad frame length " + std::to_string(len);
    return result::error;
  }
  if (avail < 4 + static_cast<size_t>(len))
    return result::need_more;
  const char* body = p + 4;
  const char* end = body + len;
  begin_ += 4 + len;
  out = frame{};
  out.type = static_cast<frame_type>(body[0]);
  const char* q = body + 1;
  auto need = [&](size_t n) { return static_cast<size_t>(end - q) >= n; };
  switch (out.type) {
  case frame_type::hello:
    if (!need(8))
      break;
    out.id = get<uint64_t>(q);
    out.name = std::string_view{q + 8, static_cast<size_t>(end - q - 8)};
    return result::frame;
  case frame_type::request: {
    if (!need(11))
      break;
    out.id = get<uint64_t>(q);
    out.shard = get<uint16_t>(q + 8);
    auto n = static_cast<unsigned char>(q[10]);
    q += 11;
    if (!need(n))
      break;
    out.name = std::string_view{q, n};
    out.payload = q + n;
    out.payload_size = static_cast<size_t>(end - out.payload);
    return result::frame;
  }
  case frame_type::reply:
    if (!need(8))
      break;
    out.id = get<uint64_t>(q);
    out.payload = q + 8;
    out.payload_size = static_cast<size_t>(end - out.payload);
    return result::frame;
  }
  why = "malformed frame of type " +
        std::to_string(static_cast<unsigned>(static_cast<uint8_t>(body[0])));
  return result::error;
}

} // namespace troupe::http::link
