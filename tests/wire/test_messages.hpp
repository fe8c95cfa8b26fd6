#pragma once
// Sample messages shared by the wire tests.
#include "common/hash.hpp"
#include "wire/codec.hpp"
#include "wire/datagram_kind.hpp"

namespace elmo::wire::test {

inline Event sample_event(std::uint64_t seq = 7, std::size_t payload_size = 32) {
    Event e;
    e.topic = "higgs";
    e.publisher = Bytes{1, 2, 3, 4, 5, 6, 7, 8};
    e.seq = seq;
    e.timestamp_ms = 1'341'446'400'000;  // 5 July 2012
    e.expiry_ms = e.timestamp_ms + 3'600'000;
    e.payload.assign(payload_size, 0xAB);
    e.signature = Bytes(64, 0x5A);
    e.seal();
    return e;
}

// Builds an envelope by hand so tests can produce what encode() never would.
template <class F>
Bytes raw_datagram(F&& pack_root) {
    msgpack::sbuffer buf;
    std::uint8_t magic = elmo_magic;
    buf.write(reinterpret_cast<const char*>(&magic), 1);
    Packer pk(buf);
    pack_root(pk);
    auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
    return Bytes(p, p + buf.size());
}

}  // namespace elmo::wire::test
