#pragma once
// Length-prefixed framing on a byte stream (client <-> home node): a u32 big-endian payload
// length, then the payload (one encoded wire message). Sans-IO: the decoder is fed whatever
// chunks the socket returned and hands out whole frames; it buffers at most one partial frame
// (4 + max_frame_bytes bytes), and checks the length as soon as the prefix is known, so a
// hostile prefix never makes it allocate.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace elmo::transport {

inline constexpr std::size_t frame_header_bytes = 4;

enum class FrameError : std::uint8_t {
    oversized,  // the length prefix exceeds max_frame_bytes
    empty,      // a zero length prefix (no wire message is empty)
};
const char* frame_error_name(FrameError e);

// The 4-byte prefix of a payload of `size` bytes (size must fit in a u32).
std::array<std::uint8_t, frame_header_bytes> frame_header(std::size_t size);
// Appends prefix + payload to `out`.
void append_frame(Bytes& out, ByteView payload);
Bytes encode_frame(ByteView payload);

class FrameDecoder {
  public:
    // Called once per whole frame; the view is valid only during the call. Return false to stop
    // (the connection is closing): the rest of the chunk is discarded and the decoder stays
    // stopped.
    using Sink = std::function<bool(ByteView frame)>;

    explicit FrameDecoder(std::size_t max_frame_bytes) : max_frame_(max_frame_bytes) {}

    // Feeds one chunk. Returns the number of frames handed to the sink, or the first framing
    // error; after an error (or a stop) every later feed returns the same error / does nothing.
    Result<std::size_t, FrameError> feed(ByteView chunk, const Sink& sink);

    bool failed() const { return error_.has_value(); }
    bool stopped() const { return stopped_; }
    // Bytes of a partial frame held (0 at a frame boundary).
    std::size_t buffered() const { return header_fill_ + body_.size(); }
    std::size_t max_frame_bytes() const { return max_frame_; }

  private:
    std::size_t max_frame_;
    std::array<std::uint8_t, frame_header_bytes> header_{};
    std::size_t header_fill_ = 0;
    std::size_t body_len_ = 0;  // known once the header is whole
    Bytes body_;                // the partial body (only when a frame spans chunks)
    std::optional<FrameError> error_;
    bool stopped_ = false;
};

}  // namespace elmo::transport
