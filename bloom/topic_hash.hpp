#pragma once
// The three 64-bit hashes a topic contributes to every Bloom filter. Computed once per topic and
// reused: a node checks one topic against the filters of all its neighbours.
#include <cstdint>
#include <string_view>

#include "common/bytes.hpp"

namespace elmo::bloom {

struct TopicHash {
    // The first three little-endian uint64 of SHA-256(topic bytes). SHA-256 makes the bit
    // positions identical on every machine and build, so filters from different nodes agree.
    std::uint64_t h1 = 0;
    std::uint64_t h2 = 0;
    std::uint64_t h3 = 0;

    static TopicHash of(std::string_view topic);
    static TopicHash of_bytes(ByteView topic);

    friend bool operator==(const TopicHash&, const TopicHash&) = default;
};

}  // namespace elmo::bloom
