#pragma once
// The envelope every elmo message travels in, and the one decoding entry point.
//
//   datagram := 0xE1 (elmo_magic) msgpack([version, type_id, body])
//
// `body` is the message's field array (see field_codec.hpp). decode() never throws and never
// crashes on any input: every failure is a DecodeError naming what was wrong.
#include <cstdint>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "wire/decode_error.hpp"
#include "wire/datagram_kind.hpp"
#include "wire/field_codec.hpp"
#include "wire/messages.hpp"

namespace elmo::wire {

inline constexpr std::uint32_t protocol_version = 1;

// Encodes one message in its envelope, magic byte included.
Bytes encode(const Message& message);

template <class T>
Bytes encode(const T& message) {
    return encode(Message{message});
}

// Decodes one datagram (or one frame's content), magic byte included.
Result<Message, DecodeError> decode(ByteView bytes);

// The type id of a message held in the variant.
std::uint16_t type_id_of(const Message& message);

}  // namespace elmo::wire
