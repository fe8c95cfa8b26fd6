#pragma once
// Mailbox hints (DESIGN 2.1): a node tells each neighbour which topics have mailboxes within R
// hops through it, and how far the nearest mailbox with room for new topics is.
#include <cstdint>
#include <optional>
#include <string_view>

#include "wire/bloom_field.hpp"

namespace elmo::wire {

inline constexpr std::uint8_t no_room = 0xff;

struct HintUpdate {
    static constexpr std::uint16_t type_id = 10;
    static constexpr std::string_view name = "hint_update";
    std::uint64_t seq = 0;               // the sender's counter; an older one is ignored
    std::uint32_t lifetime_s = 0;        // drop the hint if not refreshed within this
    std::uint8_t room_distance = no_room;  // hops to the nearest recruiting mailbox through
                                           // the sender (0: the sender itself), or no_room
    std::optional<bloom::AttenuatedBloomFilter> topics;  // nil: no mailbox within R hops

    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.seq, "seq");
        v(s.lifetime_s, "lifetime_s");
        v(s.room_distance, "room_distance");
        v(s.topics, "topics");
    }
    friend bool operator==(const HintUpdate&, const HintUpdate&) = default;
};

}  // namespace elmo::wire
