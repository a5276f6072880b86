#pragma once

// Internal to the server (Beast side): the body type of streaming routes.
//
// Beast's `string_body` reserves the whole Content-Length when the body
// starts, which a streaming route must not do (an import may be gigabytes).
// `piece_body` appends what the parser hands it to a string the session
// points it at, up to `room` bytes, and asks for a new buffer
// (`need_buffer`) when that is full; `async_read_some` then completes with
// the piece. Like `buffer_body`, but without zero-filling a buffer of the
// largest piece size for every read.

#include <algorithm>
#include <cstdint>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

namespace troupe::http {

/// A Beast body that fills one piece of a streamed request body at a time.
struct piece_body {
  /// Where the parser puts body bytes.
  struct value_type {
    /// Receives the bytes (appended); null asks for a buffer.
    std::string* out = nullptr;
    /// How many more bytes `out` takes.
    size_t room = 0;
  };

  /// The parser's view of the body (Beast's BodyReader).
  class reader {
  public:
    template <bool IsRequest, class Fields>
    reader(boost::beast::http::header<IsRequest, Fields>&, value_type& body)
        : body_(body) {
      // nop
    }

    void init(const boost::optional<std::uint64_t>&,
              boost::beast::error_code& ec) {
      ec = {}; // reserves nothing
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers,
               boost::beast::error_code& ec) {
      namespace net = boost::asio;
      size_t n = 0;
      for (auto i = net::buffer_sequence_begin(buffers);
           i != net::buffer_sequence_end(buffers); ++i) {
        net::const_buffer buf = *i;
        auto take = body_.out == nullptr ? 0 : std::min(buf.size(), body_.room);
        if (take > 0) {
          body_.out->append(static_cast<const char*>(buf.data()), take);
          body_.room -= take;
          n += take;
        }
        if (take < buf.size()) {
          ec = boost::beast::http::error::need_buffer;
          return n;
        }
      }
      ec = {};
      return n;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

  private:
    value_type& body_;
  };
};

} // namespace troupe::http
