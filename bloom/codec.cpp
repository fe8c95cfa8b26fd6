#include "bloom/codec.hpp"

#include <exception>
#include <new>
#include <utility>

namespace elmo::bloom {

namespace {

using msgpack::type::object_type;

constexpr std::size_t max_bit_bytes = max_bits / 8;

Bytes to_bytes(const msgpack::sbuffer& buf) {
    auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
    return Bytes(p, p + buf.size());
}

// Parses exactly one msgpack value spanning all of `bytes`; failures become errors, never
// exceptions.
Result<msgpack::object_handle, BloomDecodeError> parse(ByteView bytes) {
    if (bytes.empty()) return Err{BloomDecodeError::truncated};
    const char* data = reinterpret_cast<const char*>(bytes.data());
    std::size_t offset = 0;
    msgpack::object_handle handle;
    try {
        handle = msgpack::unpack(data, bytes.size(), offset, nullptr, nullptr, parse_limits());
    } catch (const msgpack::insufficient_bytes&) {
        return Err{BloomDecodeError::truncated};
    } catch (const msgpack::size_overflow&) {  // depth_size_overflow included
        return Err{BloomDecodeError::too_large};
    } catch (const std::bad_alloc&) {
        return Err{BloomDecodeError::too_large};
    } catch (const std::exception&) {
        return Err{BloomDecodeError::malformed};
    } catch (...) {
        return Err{BloomDecodeError::malformed};
    }
    if (offset != bytes.size()) return Err{BloomDecodeError::trailing_bytes};
    return handle;
}

}  // namespace

const char* to_string(BloomDecodeError e) {
    switch (e) {
        case BloomDecodeError::truncated: return "truncated";
        case BloomDecodeError::malformed: return "malformed";
        case BloomDecodeError::too_large: return "too_large";
        case BloomDecodeError::trailing_bytes: return "trailing_bytes";
        case BloomDecodeError::wrong_type: return "wrong_type";
        case BloomDecodeError::wrong_array_size: return "wrong_array_size";
        case BloomDecodeError::bits_too_small: return "bits_too_small";
        case BloomDecodeError::bits_too_large: return "bits_too_large";
        case BloomDecodeError::hashes_zero: return "hashes_zero";
        case BloomDecodeError::hashes_too_large: return "hashes_too_large";
        case BloomDecodeError::bit_bytes_length: return "bit_bytes_length";
        case BloomDecodeError::stray_bits: return "stray_bits";
        case BloomDecodeError::radius_too_large: return "radius_too_large";
        case BloomDecodeError::level_count_mismatch: return "level_count_mismatch";
        case BloomDecodeError::mixed_level_shape: return "mixed_level_shape";
    }
    return "unknown";
}

msgpack::unpack_limit parse_limits() {
    // Arrays: a filter has 3 elements, the level list at most max_radius + 1. Depth: attenuated
    // [R, [[m, k, bits], ...]] nests 3 arrays. Strings, maps and ext are never valid; a small
    // allowance lets them reach the type check and be reported as wrong_type.
    constexpr std::size_t array_limit = max_radius + 1 > 3 ? max_radius + 1 : 3;
    return msgpack::unpack_limit(array_limit, 4, 64, max_bit_bytes, 64, 3);
}

Bytes encode(const BloomFilter& f) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pack(pk, f);
    return to_bytes(buf);
}

Bytes encode(const AttenuatedBloomFilter& f) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pack(pk, f);
    return to_bytes(buf);
}

Result<BloomFilter, BloomDecodeError> bloom_from_object(const msgpack::object& o) {
    if (o.type != object_type::ARRAY) return Err{BloomDecodeError::wrong_type};
    if (o.via.array.size != 3) return Err{BloomDecodeError::wrong_array_size};
    const msgpack::object& m = o.via.array.ptr[0];
    const msgpack::object& k = o.via.array.ptr[1];
    const msgpack::object& bits = o.via.array.ptr[2];

    // Negative integers are wrong_type: m and k are unsigned on the wire.
    if (m.type != object_type::POSITIVE_INTEGER) return Err{BloomDecodeError::wrong_type};
    if (m.via.u64 < min_bits) return Err{BloomDecodeError::bits_too_small};
    if (m.via.u64 > max_bits) return Err{BloomDecodeError::bits_too_large};
    if (k.type != object_type::POSITIVE_INTEGER) return Err{BloomDecodeError::wrong_type};
    if (k.via.u64 == 0) return Err{BloomDecodeError::hashes_zero};
    if (k.via.u64 > max_hashes) return Err{BloomDecodeError::hashes_too_large};
    if (bits.type != object_type::BIN) return Err{BloomDecodeError::wrong_type};

    const auto nbits = static_cast<std::size_t>(m.via.u64);
    const auto nhashes = static_cast<std::uint32_t>(k.via.u64);
    const std::size_t nbytes = (nbits + 7) / 8;
    if (bits.via.bin.size != nbytes) return Err{BloomDecodeError::bit_bytes_length};
    const ByteView packed(reinterpret_cast<const std::uint8_t*>(bits.via.bin.ptr), nbytes);
    if (const std::size_t tail = nbits % 8; tail != 0 && (packed.back() >> tail) != 0)
        return Err{BloomDecodeError::stray_bits};
    // Every precondition of from_packed is checked above, so it cannot throw; the guard keeps
    // the never-throws promise even if that ever changes.
    try {
        return BloomFilter::from_packed(nbits, nhashes, packed);
    } catch (const std::bad_alloc&) {
        return Err{BloomDecodeError::too_large};
    } catch (const std::exception&) {
        return Err{BloomDecodeError::malformed};
    }
}

Result<AttenuatedBloomFilter, BloomDecodeError> attenuated_from_object(const msgpack::object& o) {
    if (o.type != object_type::ARRAY) return Err{BloomDecodeError::wrong_type};
    if (o.via.array.size != 2) return Err{BloomDecodeError::wrong_array_size};
    const msgpack::object& r = o.via.array.ptr[0];
    const msgpack::object& levels = o.via.array.ptr[1];
    if (r.type != object_type::POSITIVE_INTEGER) return Err{BloomDecodeError::wrong_type};
    if (r.via.u64 > max_radius) return Err{BloomDecodeError::radius_too_large};
    if (levels.type != object_type::ARRAY) return Err{BloomDecodeError::wrong_type};
    // Checked before decoding any level: an embedding body may hold a long list.
    if (levels.via.array.size != r.via.u64 + 1) return Err{BloomDecodeError::level_count_mismatch};

    try {
        std::vector<BloomFilter> out;
        out.reserve(levels.via.array.size);
        for (std::uint32_t i = 0; i < levels.via.array.size; ++i) {
            auto l = bloom_from_object(levels.via.array.ptr[i]);
            if (!l.ok()) return Err{l.error()};
            if (!out.empty() && !out.front().same_shape(l.value()))
                return Err{BloomDecodeError::mixed_level_shape};
            out.push_back(std::move(l).value());
        }
        return AttenuatedBloomFilter::from_levels(std::move(out));
    } catch (const std::bad_alloc&) {
        return Err{BloomDecodeError::too_large};
    } catch (const std::exception&) {
        return Err{BloomDecodeError::malformed};
    }
}

Result<BloomFilter, BloomDecodeError> decode_bloom(ByteView bytes) {
    auto h = parse(bytes);
    if (!h.ok()) return Err{h.error()};
    return bloom_from_object(h.value().get());
}

Result<AttenuatedBloomFilter, BloomDecodeError> decode_attenuated(ByteView bytes) {
    auto h = parse(bytes);
    if (!h.ok()) return Err{h.error()};
    return attenuated_from_object(h.value().get());
}

}  // namespace elmo::bloom
