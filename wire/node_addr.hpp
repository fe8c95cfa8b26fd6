#pragma once
// A node as messages name it: its DHT id and the UDP endpoint it answers on (the address the DHT
// knows it at, shared by elmo and OpenDHT).
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/node_id.hpp"
#include "wire/decode_error.hpp"

namespace elmo::wire {

// Endpoint on the wire: [family (4|6), address bin (4|16 bytes), port].
struct WireEndpoint {
    std::uint8_t family = 0;
    Bytes addr;
    std::uint16_t port = 0;

    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.family, "endpoint.family");
        v(s.addr, "endpoint.addr", 16);
        v(s.port, "endpoint.port");
    }
    std::optional<DecodeError> validate() const {
        if (!((family == 4 && addr.size() == 4) || (family == 6 && addr.size() == 16)))
            return DecodeError{DecodeErrorCode::invalid_value, "endpoint"};
        return std::nullopt;
    }

    static WireEndpoint from(const Endpoint& e) {
        WireEndpoint w;
        w.family = static_cast<std::uint8_t>(e.family);
        std::size_t n = e.family == Endpoint::Family::v4 ? 4 : 16;
        w.addr.assign(e.addr.begin(), e.addr.begin() + static_cast<long>(n));
        w.port = e.port;
        return w;
    }
    Endpoint to_endpoint() const {
        Endpoint e;
        e.family = family == 4 ? Endpoint::Family::v4 : Endpoint::Family::v6;
        std::copy(addr.begin(), addr.end(), e.addr.begin());
        e.port = port;
        return e;
    }
    friend bool operator==(const WireEndpoint&, const WireEndpoint&) = default;
};

struct NodeAddr {
    NodeId id{};
    WireEndpoint endpoint;

    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.id, "node.id");
        v(s.endpoint, "node.endpoint");
    }
    static NodeAddr from(const NodeId& id, const Endpoint& e) { return {id, WireEndpoint::from(e)}; }
    friend bool operator==(const NodeAddr&, const NodeAddr&) = default;
};

// Appends `a` to a bounded list of nodes unless a node with its id is there or the list is full.
inline void add_unique(std::vector<NodeAddr>& to, const NodeAddr& a, std::size_t max) {
    if (to.size() >= max) return;
    for (const auto& x : to)
        if (x.id == a.id) return;
    to.push_back(a);
}

}  // namespace elmo::wire
