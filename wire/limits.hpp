#pragma once
// Size limits every decoded message is held to. A value over its limit is a typed DecodeError
// naming the limit, never an allocation of attacker-chosen size.
#include <cstddef>

namespace elmo::wire::limits {

// A whole elmo datagram, magic byte included. Below UDP's 65,507-byte maximum; events with the
// largest payload still fit in one datagram.
inline constexpr std::size_t max_datagram_bytes = 65'000;
// An event's payload (DESIGN 2.6).
inline constexpr std::size_t max_payload_bytes = 16 * 1024;
// A topic name, UTF-8 bytes.
inline constexpr std::size_t max_topic_bytes = 256;
// Any other string field unless the field names its own limit.
inline constexpr std::size_t max_string_bytes = 1024;
// Any binary field unless the field names its own limit.
inline constexpr std::size_t max_bin_bytes = 20 * 1024;
// A publisher's key or id.
inline constexpr std::size_t max_publisher_bytes = 64;
// A signature (Ed25519 is 64 bytes; room for others).
inline constexpr std::size_t max_signature_bytes = 128;
// Any list (event ids in a digest, mailboxes in a reply, ...) unless the field names its own.
inline constexpr std::size_t max_list_len = 1024;
// Nesting depth of msgpack containers.
inline constexpr std::size_t max_depth = 8;

}  // namespace elmo::wire::limits
