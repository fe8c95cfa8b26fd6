#include "wire/codec.hpp"

#include <exception>
#include <new>

#include "wire/datagram_kind.hpp"

namespace elmo::wire {

namespace {

template <class T>
bool try_decode_as(std::uint16_t type_id, const msgpack::object& body,
                   std::optional<Result<Message, DecodeError>>& out) {
    if (T::type_id != type_id) return false;
    T msg{};
    if (auto e = read_value(body, msg, T::name.data()))
        out.emplace(Err{*e});
    else
        out.emplace(Message{std::move(msg)});
    return true;
}

template <class... Ts>
std::optional<Result<Message, DecodeError>> decode_body(TypeList<Ts...>, std::uint16_t type_id,
                                                        const msgpack::object& body) {
    std::optional<Result<Message, DecodeError>> out;
    (try_decode_as<Ts>(type_id, body, out) || ...);
    return out;
}

template <class... Ts>
std::string_view name_of(TypeList<Ts...>, std::uint16_t type_id) {
    std::string_view n = "unknown";
    ((Ts::type_id == type_id ? (n = Ts::name, true) : false) || ...);
    return n;
}

// Bounds what msgpack may allocate while parsing hostile bytes: no container or string can claim
// more elements than the datagram could hold.
msgpack::unpack_limit parse_limits() {
    return msgpack::unpack_limit(limits::max_list_len * 4, limits::max_list_len,
                                 limits::max_datagram_bytes, limits::max_datagram_bytes,
                                 limits::max_datagram_bytes, limits::max_depth);
}

DecodeError too_large(const char* what, std::size_t limit) {
    return {DecodeErrorCode::too_large, what, limit};
}

}  // namespace

std::string_view message_name(std::uint16_t type_id) { return name_of(MessageTypes{}, type_id); }

std::uint16_t type_id_of(const Message& message) {
    return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::type_id; }, message);
}

Bytes encode(const Message& message) {
    msgpack::sbuffer buf;
    buf.write(reinterpret_cast<const char*>(&elmo_magic), 1);
    Packer pk(buf);
    pk.pack_array(3);
    pk.pack(protocol_version);
    std::visit(
        [&](const auto& m) {
            pk.pack(std::decay_t<decltype(m)>::type_id);
            pack_value(pk, m);
        },
        message);
    auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
    return Bytes(p, p + buf.size());
}

Result<Message, DecodeError> decode(ByteView bytes) {
    if (bytes.empty()) return Err{DecodeError{DecodeErrorCode::empty, "datagram"}};
    if (bytes[0] != elmo_magic) return Err{DecodeError{DecodeErrorCode::bad_magic, "datagram"}};
    if (bytes.size() > limits::max_datagram_bytes)
        return Err{too_large("max_datagram_bytes", limits::max_datagram_bytes)};

    const char* data = reinterpret_cast<const char*>(bytes.data()) + 1;
    const std::size_t len = bytes.size() - 1;
    std::size_t offset = 0;
    msgpack::object_handle handle;
    try {
        handle = msgpack::unpack(data, len, offset, nullptr, nullptr, parse_limits());
    } catch (const msgpack::insufficient_bytes&) {
        return Err{DecodeError{DecodeErrorCode::truncated, "msgpack"}};
    } catch (const msgpack::depth_size_overflow&) {
        return Err{too_large("max_depth", limits::max_depth)};
    } catch (const msgpack::size_overflow&) {
        return Err{too_large("msgpack container size", limits::max_list_len)};
    } catch (const std::bad_alloc&) {
        return Err{too_large("msgpack allocation", limits::max_datagram_bytes)};
    } catch (const std::exception&) {
        return Err{DecodeError{DecodeErrorCode::malformed, "msgpack"}};
    }
    if (offset != len) return Err{DecodeError{DecodeErrorCode::trailing_bytes, "datagram"}};

    const msgpack::object& root = handle.get();
    if (root.type != msgpack::type::ARRAY || root.via.array.size != 3)
        return Err{DecodeError{DecodeErrorCode::bad_envelope, "envelope"}};
    const msgpack::object& version = root.via.array.ptr[0];
    const msgpack::object& type = root.via.array.ptr[1];
    if (version.type != msgpack::type::POSITIVE_INTEGER)
        return Err{DecodeError{DecodeErrorCode::bad_envelope, "version"}};
    if (version.via.u64 != protocol_version)
        return Err{DecodeError{DecodeErrorCode::unsupported_version, "version"}};
    if (type.type != msgpack::type::POSITIVE_INTEGER || type.via.u64 > 0xffff)
        return Err{DecodeError{DecodeErrorCode::unknown_type, "type"}};

    auto out = decode_body(MessageTypes{}, static_cast<std::uint16_t>(type.via.u64),
                           root.via.array.ptr[2]);
    if (!out) return Err{DecodeError{DecodeErrorCode::unknown_type, "type"}};
    return std::move(*out);
}

}  // namespace elmo::wire
