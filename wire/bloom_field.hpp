#pragma once
// Attenuated Bloom filters as message fields: bloom/'s own strict codec, its errors mapped onto
// DecodeError (the Bloom error's name is kept in `what`).
#include "bloom/codec.hpp"
#include "wire/field_codec.hpp"

namespace elmo::wire {

inline DecodeErrorCode to_decode_error(bloom::BloomDecodeError e) {
    using B = bloom::BloomDecodeError;
    switch (e) {
        case B::truncated: return DecodeErrorCode::truncated;
        case B::malformed: return DecodeErrorCode::malformed;
        case B::too_large:
        case B::bits_too_large:
        case B::hashes_too_large:
        case B::radius_too_large: return DecodeErrorCode::too_large;
        case B::trailing_bytes: return DecodeErrorCode::trailing_bytes;
        case B::wrong_type: return DecodeErrorCode::wrong_type;
        default: return DecodeErrorCode::invalid_value;
    }
}

template <>
struct FieldAdapter<bloom::AttenuatedBloomFilter> {
    static void pack(Packer& pk, const bloom::AttenuatedBloomFilter& f) { bloom::pack(pk, f); }
    static std::optional<DecodeError> read(const msgpack::object& o,
                                           bloom::AttenuatedBloomFilter& out, const char*) {
        auto r = bloom::attenuated_from_object(o);
        if (!r.ok()) {
            DecodeError e{to_decode_error(r.error()), bloom::to_string(r.error())};
            if (e.code == DecodeErrorCode::too_large) e.limit = bloom::max_bits;
            return e;
        }
        out = std::move(r).value();
        return std::nullopt;
    }
};

}  // namespace elmo::wire
