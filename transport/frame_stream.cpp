#include "transport/frame_stream.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace elmo::transport {

const char* frame_error_name(FrameError e) {
    switch (e) {
        case FrameError::oversized:
            return "oversized frame";
        case FrameError::empty:
            return "empty frame";
    }
    return "frame error";
}

std::array<std::uint8_t, frame_header_bytes> frame_header(std::size_t size) {
    assert(size <= std::numeric_limits<std::uint32_t>::max());
    auto n = static_cast<std::uint32_t>(size);
    return {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
            static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
}

void append_frame(Bytes& out, ByteView payload) {
    auto h = frame_header(payload.size());
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), payload.begin(), payload.end());
}

Bytes encode_frame(ByteView payload) {
    Bytes out;
    out.reserve(frame_header_bytes + payload.size());
    append_frame(out, payload);
    return out;
}

Result<std::size_t, FrameError> FrameDecoder::feed(ByteView chunk, const Sink& sink) {
    if (error_) return Err{*error_};
    std::size_t frames = 0;
    std::size_t pos = 0;
    while (!stopped_ && pos < chunk.size()) {
        if (header_fill_ < frame_header_bytes) {
            std::size_t take = std::min(frame_header_bytes - header_fill_, chunk.size() - pos);
            std::copy_n(chunk.begin() + static_cast<std::ptrdiff_t>(pos), take,
                        header_.begin() + static_cast<std::ptrdiff_t>(header_fill_));
            header_fill_ += take;
            pos += take;
            if (header_fill_ < frame_header_bytes) break;
            body_len_ = (std::size_t{header_[0]} << 24) | (std::size_t{header_[1]} << 16) |
                        (std::size_t{header_[2]} << 8) | std::size_t{header_[3]};
            if (body_len_ == 0)
                error_ = FrameError::empty;
            else if (body_len_ > max_frame_)
                error_ = FrameError::oversized;
            if (error_) return Err{*error_};
        }
        std::size_t avail = chunk.size() - pos;
        if (body_.empty() && avail >= body_len_) {
            // The whole body is in this chunk: no copy.
            ByteView frame = chunk.subspan(pos, body_len_);
            pos += body_len_;
            header_fill_ = 0;
            ++frames;
            if (!sink(frame)) stopped_ = true;
            continue;
        }
        std::size_t take = std::min(body_len_ - body_.size(), avail);
        if (body_.empty()) body_.reserve(body_len_);
        body_.insert(body_.end(), chunk.begin() + static_cast<std::ptrdiff_t>(pos),
                     chunk.begin() + static_cast<std::ptrdiff_t>(pos + take));
        pos += take;
        if (body_.size() < body_len_) break;
        Bytes frame = std::move(body_);
        body_.clear();
        header_fill_ = 0;
        ++frames;
        if (!sink(frame)) stopped_ = true;
    }
    return frames;
}

}  // namespace elmo::transport
