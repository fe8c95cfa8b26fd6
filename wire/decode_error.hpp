#pragma once
// Typed decoding failures. Bad bytes from the network become one of these, are counted by
// `code`, and are dropped (datagrams) or answered and closed (client connections).
#include <cstddef>
#include <cstdint>
#include <string>

namespace elmo::wire {

enum class DecodeErrorCode : std::uint8_t {
    empty,                // zero bytes
    bad_magic,            // first byte is not elmo's (a DHT datagram or garbage)
    too_large,            // a size over a named limit
    truncated,            // msgpack ends before the value does
    malformed,            // not valid msgpack
    trailing_bytes,       // bytes after the envelope
    bad_envelope,         // not [version, type, body]
    unsupported_version,  // a protocol version this build does not speak
    unknown_type,         // a message type this version does not define
    wrong_type,           // a field of the wrong msgpack type
    missing_field,        // the body array is shorter than the message
    extra_field,          // the body array is longer than the message
    out_of_range,         // an integer that does not fit its field
    invalid_value,        // a well-typed value the message forbids (validate())
    id_mismatch,          // an event whose id is not the hash of its content
};
inline constexpr std::size_t decode_error_code_count =
    static_cast<std::size_t>(DecodeErrorCode::id_mismatch) + 1;

const char* to_string(DecodeErrorCode code);

struct DecodeError {
    DecodeErrorCode code{};
    // The field or limit concerned (a string literal: no allocation on the drop path).
    const char* what = "";
    // For too_large: the limit that was exceeded.
    std::size_t limit = 0;

    std::string to_string() const;
    friend bool operator==(const DecodeError& a, const DecodeError& b) {
        return a.code == b.code;
    }
};

}  // namespace elmo::wire
