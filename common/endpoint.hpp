#pragma once
// A datagram endpoint (IPv4 or IPv6 address and port), a small value type that is cheap to copy,
// compare and hash, unlike a sockaddr. Drivers convert it to and from their socket types.
#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>

namespace elmo {

struct Endpoint {
    enum class Family : std::uint8_t { none = 0, v4 = 4, v6 = 6 };
    Family family = Family::none;
    std::uint16_t port = 0;                 // host byte order
    std::array<std::uint8_t, 16> addr{};    // v4 uses the first 4 bytes, network order

    static Endpoint v4(std::uint32_t host_order_addr, std::uint16_t port) {
        Endpoint e;
        e.family = Family::v4;
        e.port = port;
        e.addr[0] = static_cast<std::uint8_t>(host_order_addr >> 24);
        e.addr[1] = static_cast<std::uint8_t>(host_order_addr >> 16);
        e.addr[2] = static_cast<std::uint8_t>(host_order_addr >> 8);
        e.addr[3] = static_cast<std::uint8_t>(host_order_addr);
        return e;
    }
    std::uint32_t v4_host_order() const {
        return (std::uint32_t{addr[0]} << 24) | (std::uint32_t{addr[1]} << 16) |
               (std::uint32_t{addr[2]} << 8) | std::uint32_t{addr[3]};
    }
    bool valid() const { return family != Family::none; }
    std::string to_string() const;

    friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct EndpointHash {
    std::size_t operator()(const Endpoint& e) const noexcept {
        std::uint64_t a, b;
        std::memcpy(&a, e.addr.data(), 8);
        std::memcpy(&b, e.addr.data() + 8, 8);
        std::uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull);
        h ^= (std::uint64_t{e.port} << 8) | static_cast<std::uint64_t>(e.family);
        h *= 0xFF51AFD7ED558CCDull;
        return static_cast<std::size_t>(h ^ (h >> 33));
    }
};

}  // namespace elmo
