#pragma once
// An event (DESIGN 2.6): the unit a publisher publishes, mailboxes store and clients receive.
// Its id is the SHA-256 of its content (publisher, sequence number, topic, timestamps, payload),
// so every node can check it and dedup by it; the signature signs the id and is not part of it.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "wire/decode_error.hpp"
#include "wire/limits.hpp"

namespace elmo::wire {

using EventId = std::array<std::uint8_t, 32>;

struct Event {
    EventId id{};
    std::string topic;
    Bytes publisher;             // the publisher's key or id
    std::uint64_t seq = 0;       // the publisher's sequence number
    std::int64_t timestamp_ms = 0;  // publication time, ms since the Unix epoch
    std::int64_t expiry_ms = 0;     // after this the event may be forgotten
    Bytes payload;
    Bytes signature;             // over `id`; empty when unsigned

    // The id this event's content hashes to.
    EventId content_id() const;
    // Sets `id` from the content; call after filling the other fields.
    void seal() { id = content_id(); }

    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.id, "event.id");
        v(s.topic, "event.topic", limits::max_topic_bytes);
        v(s.publisher, "event.publisher", limits::max_publisher_bytes);
        v(s.seq, "event.seq");
        v(s.timestamp_ms, "event.timestamp");
        v(s.expiry_ms, "event.expiry");
        v(s.payload, "event.payload", limits::max_payload_bytes);
        v(s.signature, "event.signature", limits::max_signature_bytes);
    }
    // Called by the decoder after the fields are read.
    std::optional<DecodeError> validate() const;

    friend bool operator==(const Event&, const Event&) = default;
};

// Whether a topic name is acceptable: 1..max_topic_bytes bytes, no control characters.
bool valid_topic(const std::string& topic);

}  // namespace elmo::wire
