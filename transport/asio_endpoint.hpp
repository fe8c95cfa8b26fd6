#pragma once
// Conversions between elmo's Endpoint value type and asio's TCP endpoints.
#include <asio/ip/tcp.hpp>

#include "common/endpoint.hpp"

namespace elmo::transport {

inline asio::ip::tcp::endpoint to_asio(const Endpoint& e) {
    if (e.family == Endpoint::Family::v6) {
        asio::ip::address_v6::bytes_type b;
        std::copy(e.addr.begin(), e.addr.end(), b.begin());
        return {asio::ip::address_v6(b), e.port};
    }
    return {asio::ip::address_v4(e.v4_host_order()), e.port};
}

inline Endpoint from_asio(const asio::ip::tcp::endpoint& a) {
    Endpoint e;
    e.port = a.port();
    if (a.address().is_v6()) {
        e.family = Endpoint::Family::v6;
        auto b = a.address().to_v6().to_bytes();
        std::copy(b.begin(), b.end(), e.addr.begin());
        return e;
    }
    return Endpoint::v4(a.address().to_v4().to_uint(), a.port());
}

}  // namespace elmo::transport
