#pragma once
// One field list per message drives both encoding and strict decoding.
//
// A message (or any nested struct) describes its fields once:
//
//     template <class Self, class V> static void describe(Self& s, V& v) {
//         v(s.topic, "topic", limits::max_topic_bytes);
//         v(s.ids, "ids");
//     }
//
// and is carried as a msgpack array of those fields in that order. Decoding checks every field's
// msgpack type, integer range, size limit and the exact field count; the first failure becomes a
// DecodeError naming the field. Supported field types: bool, integers, double, std::string,
// Bytes, std::array<uint8_t, N>, std::vector<T>, std::optional<T>, enums (with an
// `is_valid(E)` overload found by ADL), and nested described structs.
#include <msgpack.hpp>

#include <array>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "common/bytes.hpp"
#include "wire/decode_error.hpp"
#include "wire/limits.hpp"

namespace elmo::wire {

using Packer = msgpack::packer<msgpack::sbuffer>;

namespace detail {
struct FieldCounter {
    std::uint32_t n = 0;
    template <class T>
    void operator()(const T&, const char*, std::size_t = 0) { ++n; }
};
}  // namespace detail

template <class T>
concept Described = requires(T& t, detail::FieldCounter& c) { T::describe(t, c); };

// A type with its own msgpack codec (e.g. a Bloom filter) joins the field codec by specialising
// FieldAdapter<T> with `static void pack(Packer&, const T&)` and
// `static std::optional<DecodeError> read(const msgpack::object&, T&, const char* name)`.
template <class T>
struct FieldAdapter;
template <class T>
concept Adapted = requires { FieldAdapter<T>::pack; };

template <class T>
struct is_std_array_u8 : std::false_type {};
template <std::size_t N>
struct is_std_array_u8<std::array<std::uint8_t, N>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// ---------------------------------------------------------------- encoding

template <class T>
void pack_value(Packer& pk, const T& v);

struct FieldPacker {
    Packer& pk;
    template <class T>
    void operator()(const T& v, const char*, std::size_t = 0) { pack_value(pk, v); }
};

template <class T>
void pack_value(Packer& pk, const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
        v ? pk.pack_true() : pk.pack_false();
    } else if constexpr (std::is_enum_v<T>) {
        pk.pack(static_cast<std::underlying_type_t<T>>(v));
    } else if constexpr (std::is_integral_v<T> || std::is_floating_point_v<T>) {
        pk.pack(v);
    } else if constexpr (std::is_same_v<T, std::string>) {
        pk.pack_str(static_cast<std::uint32_t>(v.size()));
        pk.pack_str_body(v.data(), static_cast<std::uint32_t>(v.size()));
    } else if constexpr (std::is_same_v<T, Bytes> || is_std_array_u8<T>::value) {
        pk.pack_bin(static_cast<std::uint32_t>(v.size()));
        pk.pack_bin_body(reinterpret_cast<const char*>(v.data()),
                         static_cast<std::uint32_t>(v.size()));
    } else if constexpr (is_vector<T>::value) {
        pk.pack_array(static_cast<std::uint32_t>(v.size()));
        for (const auto& e : v) pack_value(pk, e);
    } else if constexpr (is_optional<T>::value) {
        if (v) pack_value(pk, *v);
        else pk.pack_nil();
    } else if constexpr (Adapted<T>) {
        FieldAdapter<T>::pack(pk, v);
    } else if constexpr (Described<T>) {
        detail::FieldCounter c;
        T::describe(v, c);
        pk.pack_array(c.n);
        FieldPacker fp{pk};
        T::describe(v, fp);
    } else {
        static_assert(sizeof(T) == 0, "field type not supported by the wire codec");
    }
}

// ---------------------------------------------------------------- decoding

// Decodes `o` into `out`. `max` is the size limit for strings, binaries and lists (0: default).
template <class T>
std::optional<DecodeError> read_value(const msgpack::object& o, T& out, const char* name,
                                      std::size_t max = 0);

struct FieldReader {
    const msgpack::object_array& arr;
    std::uint32_t i = 0;
    std::optional<DecodeError> err;

    template <class T>
    void operator()(T& field, const char* name, std::size_t max = 0) {
        if (err) return;
        if (i >= arr.size) {
            err = DecodeError{DecodeErrorCode::missing_field, name};
            return;
        }
        err = read_value(arr.ptr[i++], field, name, max);
    }
};

inline DecodeError wrong_type(const char* name) { return {DecodeErrorCode::wrong_type, name}; }

template <class T>
std::optional<DecodeError> read_value(const msgpack::object& o, T& out, const char* name,
                                      std::size_t max) {
    using msgpack::type::object_type;
    if constexpr (std::is_same_v<T, bool>) {
        if (o.type != object_type::BOOLEAN) return wrong_type(name);
        out = o.via.boolean;
    } else if constexpr (std::is_enum_v<T>) {
        std::underlying_type_t<T> raw{};
        if (auto e = read_value(o, raw, name)) return e;
        out = static_cast<T>(raw);
        if (!is_valid(out)) return DecodeError{DecodeErrorCode::out_of_range, name};
    } else if constexpr (std::is_integral_v<T>) {
        if (o.type == object_type::POSITIVE_INTEGER) {
            if (o.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
                return DecodeError{DecodeErrorCode::out_of_range, name};
            out = static_cast<T>(o.via.u64);
        } else if (o.type == object_type::NEGATIVE_INTEGER) {
            if constexpr (std::is_unsigned_v<T>) {
                return DecodeError{DecodeErrorCode::out_of_range, name};
            } else {
                if (o.via.i64 < static_cast<std::int64_t>(std::numeric_limits<T>::min()))
                    return DecodeError{DecodeErrorCode::out_of_range, name};
                out = static_cast<T>(o.via.i64);
            }
        } else {
            return wrong_type(name);
        }
    } else if constexpr (std::is_floating_point_v<T>) {
        if (o.type == object_type::FLOAT64 || o.type == object_type::FLOAT32)
            out = static_cast<T>(o.via.f64);
        else if (o.type == object_type::POSITIVE_INTEGER) out = static_cast<T>(o.via.u64);
        else if (o.type == object_type::NEGATIVE_INTEGER) out = static_cast<T>(o.via.i64);
        else return wrong_type(name);
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (o.type != object_type::STR) return wrong_type(name);
        std::size_t lim = max ? max : limits::max_string_bytes;
        if (o.via.str.size > lim) return DecodeError{DecodeErrorCode::too_large, name, lim};
        out.assign(o.via.str.ptr, o.via.str.size);
    } else if constexpr (std::is_same_v<T, Bytes>) {
        if (o.type != object_type::BIN) return wrong_type(name);
        std::size_t lim = max ? max : limits::max_bin_bytes;
        if (o.via.bin.size > lim) return DecodeError{DecodeErrorCode::too_large, name, lim};
        auto p = reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr);
        out.assign(p, p + o.via.bin.size);
    } else if constexpr (is_std_array_u8<T>::value) {
        if (o.type != object_type::BIN) return wrong_type(name);
        if (o.via.bin.size != out.size())
            return DecodeError{DecodeErrorCode::invalid_value, name};
        auto p = reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr);
        std::copy(p, p + out.size(), out.begin());
    } else if constexpr (is_vector<T>::value) {
        if (o.type != object_type::ARRAY) return wrong_type(name);
        std::size_t lim = max ? max : limits::max_list_len;
        if (o.via.array.size > lim) return DecodeError{DecodeErrorCode::too_large, name, lim};
        out.clear();
        out.resize(o.via.array.size);
        for (std::uint32_t k = 0; k < o.via.array.size; ++k)
            if (auto e = read_value(o.via.array.ptr[k], out[k], name)) return e;
    } else if constexpr (is_optional<T>::value) {
        if (o.type == object_type::NIL) {
            out.reset();
        } else {
            out.emplace();
            if (auto e = read_value(o, *out, name, max)) return e;
        }
    } else if constexpr (Adapted<T>) {
        return FieldAdapter<T>::read(o, out, name);
    } else if constexpr (Described<T>) {
        if (o.type != object_type::ARRAY) return wrong_type(name);
        FieldReader r{o.via.array, 0, std::nullopt};
        T::describe(out, r);
        if (r.err) return r.err;
        if (r.i != o.via.array.size) return DecodeError{DecodeErrorCode::extra_field, name};
        if constexpr (requires(const T& t) { t.validate(); }) {
            if (auto e = out.validate()) return e;
        }
    } else {
        static_assert(sizeof(T) == 0, "field type not supported by the wire codec");
    }
    return std::nullopt;
}

}  // namespace elmo::wire
