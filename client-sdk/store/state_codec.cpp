#include "client-sdk/store/state_codec.hpp"

#include <cstring>

#include "wire/codec.hpp"

namespace elmo::sdk::store {
namespace {

void put_endpoint(Bytes& out, const Endpoint& e) {
    out.push_back(static_cast<std::uint8_t>(e.family));
    std::size_t n = e.family == Endpoint::Family::v6 ? 16 : 4;
    out.insert(out.end(), e.addr.begin(), e.addr.begin() + static_cast<std::ptrdiff_t>(n));
    out.push_back(static_cast<std::uint8_t>(e.port >> 8));
    out.push_back(static_cast<std::uint8_t>(e.port));
}

// Reads one endpoint at `pos`, advancing it; nullopt if malformed or short.
std::optional<Endpoint> get_endpoint(ByteView in, std::size_t& pos) {
    if (pos >= in.size()) return std::nullopt;
    Endpoint e;
    std::uint8_t family = in[pos++];
    std::size_t n = 0;
    if (family == 4)
        e.family = Endpoint::Family::v4, n = 4;
    else if (family == 6)
        e.family = Endpoint::Family::v6, n = 16;
    else
        return std::nullopt;
    if (in.size() - pos < n + 2) return std::nullopt;
    std::memcpy(e.addr.data(), in.data() + pos, n);
    pos += n;
    e.port = static_cast<std::uint16_t>((in[pos] << 8) | in[pos + 1]);
    pos += 2;
    return e;
}

}  // namespace

Bytes encode_event(const wire::Event& e) {
    return wire::encode(wire::Publish{0, e, {}, false});
}

std::optional<wire::Event> decode_event(ByteView bytes) {
    auto m = wire::decode(bytes);
    if (!m.ok()) return std::nullopt;
    auto* p = std::get_if<wire::Publish>(&*m);
    if (!p || p->event.id != p->event.content_id()) return std::nullopt;
    return p->event;
}

Bytes encode_addrs(const std::vector<wire::NodeAddr>& list) {
    Bytes out;
    for (const auto& a : list) {
        if (a.endpoint.family == 0) continue;  // unset: no address to keep
        out.insert(out.end(), a.id.begin(), a.id.end());
        put_endpoint(out, a.endpoint.to_endpoint());
    }
    return out;
}

std::optional<std::vector<wire::NodeAddr>> decode_addrs(ByteView in) {
    std::vector<wire::NodeAddr> out;
    std::size_t pos = 0;
    while (pos < in.size()) {
        NodeId id{};
        if (in.size() - pos < id.size()) return std::nullopt;
        std::memcpy(id.data(), in.data() + pos, id.size());
        pos += id.size();
        auto e = get_endpoint(in, pos);
        if (!e) return std::nullopt;
        out.push_back(wire::NodeAddr::from(id, *e));
    }
    return out;
}

Bytes encode_endpoints(const std::vector<Endpoint>& list) {
    Bytes out;
    for (const auto& e : list) put_endpoint(out, e);
    return out;
}

std::optional<std::vector<Endpoint>> decode_endpoints(ByteView in) {
    std::vector<Endpoint> out;
    std::size_t pos = 0;
    while (pos < in.size()) {
        auto e = get_endpoint(in, pos);
        if (!e) return std::nullopt;
        out.push_back(*e);
    }
    return out;
}

}  // namespace elmo::sdk::store
