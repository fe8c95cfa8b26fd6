#include "node/daemon/dht_guard.hpp"

#include <msgpack.hpp>

#include <cstring>
#include <string_view>

namespace elmo::daemon {
namespace {

// Generous for OpenDHT's messages (values up to 64 KiB, node lists, shallow nesting), tight
// enough that a hostile datagram cannot make msgpack allocate much or recurse deep.
msgpack::unpack_limit limits() {
    return msgpack::unpack_limit(/*array*/ 4096, /*map*/ 1024, /*str*/ 65536, /*bin*/ 65536,
                                 /*ext*/ 65536, /*depth*/ 16);
}

bool key_is(const msgpack::object& k, std::string_view name) {
    return k.type == msgpack::type::STR && k.via.str.size == name.size() &&
           std::memcmp(k.via.str.ptr, name.data(), name.size()) == 0;
}

}  // namespace

DhtGuardVerdict check_dht_datagram(ByteView datagram) {
    msgpack::object_handle handle;
    try {
        std::size_t offset = 0;
        handle = msgpack::unpack(reinterpret_cast<const char*>(datagram.data()), datagram.size(),
                                 offset, nullptr, nullptr, limits());
    } catch (const std::exception&) {
        return DhtGuardVerdict::not_msgpack;
    }
    const msgpack::object& top = handle.get();
    if (top.type != msgpack::type::MAP) return DhtGuardVerdict::not_a_map;
    bool has_body = false;  // "a", "r" or "u": the map OpenDHT reads fields from
    const msgpack::object* error = nullptr;
    for (std::uint32_t i = 0; i < top.via.map.size; ++i) {
        const auto& kv = top.via.map.ptr[i];
        if (key_is(kv.key, "a") || key_is(kv.key, "r") || key_is(kv.key, "u")) {
            if (kv.val.type != msgpack::type::MAP) return DhtGuardVerdict::bad_shape;
            has_body = true;
        } else if (key_is(kv.key, "e")) {
            error = &kv.val;
        }
    }
    if (error) {
        // OpenDHT reads the code from element 0 unchecked, and without a body it reads the
        // error array itself as the body: two items ([code, message], as it sends) at least.
        if (error->type != msgpack::type::ARRAY || error->via.array.size < 2)
            return DhtGuardVerdict::bad_shape;
        (void)has_body;
    }
    return DhtGuardVerdict::pass;
}

const char* to_string(DhtGuardVerdict v) {
    switch (v) {
        case DhtGuardVerdict::pass:
            return "pass";
        case DhtGuardVerdict::not_msgpack:
            return "not_msgpack";
        case DhtGuardVerdict::not_a_map:
            return "not_a_map";
        case DhtGuardVerdict::bad_shape:
            return "bad_shape";
    }
    return "?";
}

}  // namespace elmo::daemon
