#pragma once
// Liveness probes between nodes, and the simplest carrier of an event. The protocol issues add
// their messages in files of their own.
#include <cstdint>
#include <string_view>

#include "wire/event.hpp"

namespace elmo::wire {

struct Ping {
    static constexpr std::uint16_t type_id = 1;
    static constexpr std::string_view name = "ping";
    std::uint64_t nonce = 0;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.nonce, "nonce"); }
    friend bool operator==(const Ping&, const Ping&) = default;
};

struct Pong {
    static constexpr std::uint16_t type_id = 2;
    static constexpr std::string_view name = "pong";
    std::uint64_t nonce = 0;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.nonce, "nonce"); }
    friend bool operator==(const Pong&, const Pong&) = default;
};

// An event sent to a peer (forwarding, hand-off); the id is checked on decode.
struct EventPush {
    static constexpr std::uint16_t type_id = 3;
    static constexpr std::string_view name = "event_push";
    Event event;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.event, "event"); }
    friend bool operator==(const EventPush&, const EventPush&) = default;
};

}  // namespace elmo::wire
