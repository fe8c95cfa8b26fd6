#pragma once
// A structural check of DHT datagrams before OpenDHT parses them. OpenDHT 2.4.12 (Debian)
// crashes (SIGSEGV, not an exception) on some malformed messages, e.g. a message whose "a", "r"
// or "u" entry is an integer instead of a map, or whose "e" entry is an empty array: its parser
// reads those values as maps without checking their type. One such datagram from anyone would
// kill the daemon, so the driver drops, and counts, any datagram that is not a well-formed
// msgpack map within sane bounds, or whose request/reply/error entries have the wrong shape.
// Everything OpenDHT itself sends passes (a test runs real OpenDHT traffic through the check).
#include <cstdint>

#include "common/bytes.hpp"

namespace elmo::daemon {

enum class DhtGuardVerdict : std::uint8_t {
    pass,
    not_msgpack,  // malformed, truncated, or over the size/depth bounds
    not_a_map,    // the top-level object is not a map
    bad_shape,    // "a", "r", "u" not a map; "e" not an array of at least two items
};

DhtGuardVerdict check_dht_datagram(ByteView datagram);

const char* to_string(DhtGuardVerdict v);

}  // namespace elmo::daemon
