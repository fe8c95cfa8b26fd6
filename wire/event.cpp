#include "wire/event.hpp"

#include "common/hash.hpp"

namespace elmo::wire {

namespace {
std::array<std::uint8_t, 8> be64(std::uint64_t v) {
    std::array<std::uint8_t, 8> b{};
    for (int i = 7; i >= 0; --i) {
        b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
        v >>= 8;
    }
    return b;
}
}  // namespace

EventId Event::content_id() const {
    auto s = be64(seq);
    auto t = be64(static_cast<std::uint64_t>(timestamp_ms));
    auto x = be64(static_cast<std::uint64_t>(expiry_ms));
    return sha256_parts({ByteView(publisher), ByteView(s), as_bytes(topic), ByteView(t),
                         ByteView(x), ByteView(payload)});
}

std::optional<DecodeError> Event::validate() const {
    if (!valid_topic(topic)) return DecodeError{DecodeErrorCode::invalid_value, "event.topic"};
    if (expiry_ms < timestamp_ms)
        return DecodeError{DecodeErrorCode::invalid_value, "event.expiry"};
    if (content_id() != id) return DecodeError{DecodeErrorCode::id_mismatch, "event.id"};
    return std::nullopt;
}

bool valid_topic(const std::string& topic) {
    if (topic.empty() || topic.size() > limits::max_topic_bytes) return false;
    for (unsigned char c : topic)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

}  // namespace elmo::wire
