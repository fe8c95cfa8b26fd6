#pragma once
// Shared helpers for the mailbox tests: a fixed protocol time origin mapped onto a fixed wall
// clock, events published at a chosen protocol time, and stable client, home and node ids.
#include <chrono>
#include <cstdint>
#include <string>

#include "common/endpoint.hpp"
#include "common/time.hpp"
#include "mailbox/mailbox.hpp"
#include "wire/event.hpp"

namespace elmo::mailbox::test {

using namespace std::chrono_literals;

// Protocol time of the start of every test, and the wall time it corresponds to.
inline const TimePoint t0 = TimePoint{} + std::chrono::hours(1'000);
inline const WallClock wall{t0, 1'700'000'000'000};

// An event of `topic`, published at protocol time `published`, expiring `lifetime` later.
inline wire::Event make_event(const std::string& topic, std::uint64_t seq,
                              TimePoint published = t0, Duration lifetime = std::chrono::hours(48),
                              std::size_t payload_bytes = 100) {
    wire::Event e;
    e.topic = topic;
    e.publisher = Bytes{1, 2, 3, 4, 5, 6, 7, 8};
    e.seq = seq;
    e.timestamp_ms = wall.to_unix_ms(published);
    e.expiry_ms =
        e.timestamp_ms + std::chrono::duration_cast<std::chrono::milliseconds>(lifetime).count();
    e.payload.assign(payload_bytes, static_cast<std::uint8_t>(seq));
    e.seal();
    return e;
}

inline ClientId client(int n) { return ClientId{'c', static_cast<std::uint8_t>(n)}; }
inline Endpoint home(int n) { return Endpoint::v4(0x7f000001u + static_cast<std::uint32_t>(n), 4'000); }
inline NodeId node(int n) {
    NodeId id{};
    id[0] = static_cast<std::uint8_t>(n);
    return id;
}
inline MailboxRef mailbox_ref(int n) { return MailboxRef{node(n), home(100 + n)}; }

}  // namespace elmo::mailbox::test
