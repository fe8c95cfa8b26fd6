#pragma once
// Shared helpers for the gossip tests: node ids and addresses, sealed events, a gossip message
// codec round trip through the field codec, and a fake port that records what an engine sends
// and stores what it delivers.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gossip/engine.hpp"
#include "wire/field_codec.hpp"
#include "wire/msg_gossip.hpp"

namespace elmo::gossip::test {

using namespace std::chrono_literals;

inline const TimePoint t0 = TimePoint{} + std::chrono::hours(1);

inline NodeId node_id(int n) {
    NodeId id{};
    id[0] = static_cast<std::uint8_t>(n >> 8);
    id[1] = static_cast<std::uint8_t>(n);
    return id;
}
inline Endpoint endpoint(int n) {
    return Endpoint::v4(0x7f000001u + static_cast<std::uint32_t>(n), 4222);
}
inline wire::NodeAddr addr(int n) {
    return wire::NodeAddr::from(node_id(n), endpoint(n));
}

inline wire::Event make_event(const std::string& topic, std::uint64_t seq,
                              std::uint8_t publisher = 1, std::size_t payload = 64) {
    wire::Event e;
    e.topic = topic;
    e.publisher = Bytes{publisher, 2, 3, 4};
    e.seq = seq;
    e.timestamp_ms = 1'700'000'000'000 + static_cast<std::int64_t>(seq);
    e.expiry_ms = e.timestamp_ms + 3'600'000;
    e.payload.assign(payload, static_cast<std::uint8_t>(seq));
    e.seal();
    return e;
}

inline wire::EventId id_of(int n) {
    wire::EventId id{};
    id[0] = static_cast<std::uint8_t>(n >> 8);
    id[1] = static_cast<std::uint8_t>(n);
    id[31] = 0xEE;
    return id;
}

// Encodes a gossip message as [type_id, body] with the wire field codec and decodes it back
// strictly, as the registry's envelope will once the types are registered.
inline Bytes encode_gossip(const wire::GossipMessage& m) {
    msgpack::sbuffer buf;
    wire::Packer pk(buf);
    pk.pack_array(2);
    std::visit(
        [&](const auto& x) {
            pk.pack(std::decay_t<decltype(x)>::type_id);
            wire::pack_value(pk, x);
        },
        m);
    auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
    return Bytes(p, p + buf.size());
}

template <class T>
bool try_decode_as(std::uint16_t type, const msgpack::object& body,
                   std::optional<wire::GossipMessage>& out, std::optional<wire::DecodeError>& err) {
    if (T::type_id != type) return false;
    T msg{};
    if (auto e = wire::read_value(body, msg, T::name.data()))
        err = e;
    else
        out = wire::GossipMessage{std::move(msg)};
    return true;
}

template <class... Ts>
void decode_as_one_of(std::variant<Ts...>*, std::uint16_t type, const msgpack::object& body,
                      std::optional<wire::GossipMessage>& out,
                      std::optional<wire::DecodeError>& err) {
    (try_decode_as<Ts>(type, body, out, err) || ...);
}

// The decoded message, or the first error (truncated/malformed msgpack map to those codes).
inline std::pair<std::optional<wire::GossipMessage>, std::optional<wire::DecodeError>>
decode_gossip(ByteView bytes) {
    using wire::DecodeError;
    using wire::DecodeErrorCode;
    std::optional<wire::GossipMessage> out;
    std::optional<DecodeError> err;
    std::size_t off = 0;
    msgpack::object_handle h;
    try {
        h = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size(), off);
    } catch (const msgpack::insufficient_bytes&) {
        return {std::nullopt, DecodeError{DecodeErrorCode::truncated, "msgpack"}};
    } catch (const std::exception&) {
        return {std::nullopt, DecodeError{DecodeErrorCode::malformed, "msgpack"}};
    }
    if (off != bytes.size())
        return {std::nullopt, DecodeError{DecodeErrorCode::trailing_bytes, "datagram"}};
    const auto& root = h.get();
    if (root.type != msgpack::type::ARRAY || root.via.array.size != 2 ||
        root.via.array.ptr[0].type != msgpack::type::POSITIVE_INTEGER)
        return {std::nullopt, DecodeError{DecodeErrorCode::bad_envelope, "envelope"}};
    auto type = static_cast<std::uint16_t>(root.via.array.ptr[0].via.u64);
    decode_as_one_of(static_cast<wire::GossipMessage*>(nullptr), type, root.via.array.ptr[1], out,
                     err);
    if (!out && !err) err = DecodeError{DecodeErrorCode::unknown_type, "type"};
    return {out, err};
}

// Records sends; stores delivered events (a second delivery of an id is a store duplicate).
struct FakePort : GossipPort {
    struct Sent {
        Endpoint to;
        wire::GossipMessage message;
    };
    std::vector<Sent> sent;
    std::map<wire::EventId, wire::Event> store;
    std::vector<std::pair<wire::EventId, std::uint16_t>> delivered;  // (id, hops)
    std::optional<Delivery> force;  // answer every deliver with this instead

    void send(const Endpoint& to, const wire::GossipMessage& m) override {
        sent.push_back({to, m});
    }
    Delivery deliver(const wire::Event& e, std::uint16_t hops) override {
        if (force) return *force;
        delivered.emplace_back(e.id, hops);
        return store.emplace(e.id, e).second ? Delivery::stored : Delivery::duplicate;
    }
    std::optional<wire::Event> find_event(const std::string&, const wire::EventId& id) override {
        auto it = store.find(id);
        if (it == store.end()) return std::nullopt;
        return it->second;
    }

    // Messages of type T sent to node n (or to anyone with n < 0), in order; clears nothing.
    template <class T>
    std::vector<T> sent_of(int n = -1) const {
        std::vector<T> out;
        for (const auto& s : sent)
            if (auto* m = std::get_if<T>(&s.message); m && (n < 0 || s.to == endpoint(n)))
                out.push_back(*m);
        return out;
    }
    void clear() { sent.clear(); }
};

}  // namespace elmo::gossip::test
