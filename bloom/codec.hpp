#pragma once
// msgpack encoding of Bloom filters with strict decoding (docs/bloom.md).
//
//   BloomFilter:            [m, k, bin(ceil(m/8) bytes; bit j is bit j % 8 of byte j / 8)]
//   AttenuatedBloomFilter:  [R, [level 0, ..., level R]]   (each level a BloomFilter array)
//
// Decoding never throws and never crashes: every malformed input is one BloomDecodeError.
// Wire messages embed a filter in a larger body with pack() and *_from_object().
#include <msgpack.hpp>

#include <cstdint>

#include "bloom/attenuated_bloom_filter.hpp"
#include "bloom/bloom_filter.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"

namespace elmo::bloom {

enum class BloomDecodeError : std::uint8_t {
    truncated,             // the input ends inside the msgpack value (or is empty)
    malformed,             // not msgpack
    too_large,             // a container, binary or nesting larger than any valid filter has
    trailing_bytes,        // bytes after the value
    wrong_type,            // a value of the wrong msgpack type (m, k, R: unsigned integers;
                           // bits: bin; filters and the level list: arrays)
    wrong_array_size,      // a filter array not [m, k, bits], an attenuated one not [R, levels]
    bits_too_small,        // m < min_bits (m == 0 included)
    bits_too_large,        // m > max_bits
    hashes_zero,           // k == 0
    hashes_too_large,      // k > max_hashes
    bit_bytes_length,      // bin length != ceil(m / 8)
    stray_bits,            // a bit set at a position >= m in the last byte
    radius_too_large,      // R > max_radius
    level_count_mismatch,  // number of levels != R + 1
    mixed_level_shape,     // levels with different m or k
};
inline constexpr std::size_t bloom_decode_error_count =
    static_cast<std::size_t>(BloomDecodeError::mixed_level_shape) + 1;

// A string literal (no allocation: usable as wire::DecodeError::what).
const char* to_string(BloomDecodeError e);

Bytes encode(const BloomFilter& f);
Bytes encode(const AttenuatedBloomFilter& f);

// Decode exactly one msgpack value filling all of `bytes`.
Result<BloomFilter, BloomDecodeError> decode_bloom(ByteView bytes);
Result<AttenuatedBloomFilter, BloomDecodeError> decode_attenuated(ByteView bytes);

// Decode a filter embedded in an already parsed msgpack body. Never throws.
Result<BloomFilter, BloomDecodeError> bloom_from_object(const msgpack::object& o);
Result<AttenuatedBloomFilter, BloomDecodeError> attenuated_from_object(const msgpack::object& o);

// The parse limits decode_* use: no msgpack container, string or binary may claim more than
// the largest valid filter needs, so hostile lengths cannot make the parser allocate.
msgpack::unpack_limit parse_limits();

template <class Stream>
void pack(msgpack::packer<Stream>& pk, const BloomFilter& f) {
    const Bytes bits = f.packed();
    pk.pack_array(3);
    pk.pack(static_cast<std::uint64_t>(f.bits()));
    pk.pack(f.hashes());
    pk.pack_bin(static_cast<std::uint32_t>(bits.size()));
    pk.pack_bin_body(reinterpret_cast<const char*>(bits.data()),
                     static_cast<std::uint32_t>(bits.size()));
}

template <class Stream>
void pack(msgpack::packer<Stream>& pk, const AttenuatedBloomFilter& f) {
    pk.pack_array(2);
    pk.pack(static_cast<std::uint64_t>(f.radius()));
    pk.pack_array(static_cast<std::uint32_t>(f.level_count()));
    for (const BloomFilter& l : f.levels()) pack(pk, l);
}

}  // namespace elmo::bloom

// msgpack pack adaptors, so `packer.pack(filter)` works inside larger bodies. There is
// deliberately no convert adaptor: msgpack's convert reports failure by throwing; decode with
// bloom_from_object / attenuated_from_object instead.
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
namespace adaptor {

template <>
struct pack<elmo::bloom::BloomFilter> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& pk,
                                        const elmo::bloom::BloomFilter& f) const {
        elmo::bloom::pack(pk, f);
        return pk;
    }
};

template <>
struct pack<elmo::bloom::AttenuatedBloomFilter> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& pk,
                                        const elmo::bloom::AttenuatedBloomFilter& f) const {
        elmo::bloom::pack(pk, f);
        return pk;
    }
};

}  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack
