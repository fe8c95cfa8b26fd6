#pragma once
// The first-byte rule: one UDP port carries both OpenDHT's datagrams and elmo's.
//
// Every OpenDHT datagram is a msgpack map, so its first byte is a fixmap marker (0x80-0x8f) or a
// map16/map32 marker (0xde, 0xdf). Every elmo datagram starts with the magic byte 0xE1, which no
// msgpack map can start with (in msgpack it is a negative fixint, -31). Anything else is neither
// and is dropped and counted by the driver.
#include <cstdint>

#include "common/bytes.hpp"

namespace elmo::wire {

inline constexpr std::uint8_t elmo_magic = 0xE1;

enum class DatagramKind : std::uint8_t { dht, elmo, unknown };

constexpr DatagramKind classify_first_byte(std::uint8_t b) {
    if (b == elmo_magic) return DatagramKind::elmo;
    if ((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf) return DatagramKind::dht;
    return DatagramKind::unknown;
}

inline DatagramKind classify(ByteView datagram) {
    if (datagram.empty()) return DatagramKind::unknown;
    return classify_first_byte(datagram[0]);
}

}  // namespace elmo::wire
