#pragma once
// CRC-32C (Castagnoli) of journal records. Boost.CRC computes it from the polynomial's parameters
// with a byte-wise lookup table; it comes with the Boost headers Program_options already pulls
// in, so there is no table of our own to get wrong and no new package (docs/daemon.md says why
// CRC-32C and why this library).
#include <boost/crc.hpp>

#include <cstdint>
#include <span>

namespace elmo::daemon {

// Reflected CRC-32C: polynomial 0x1EDC6F41, initial value and final XOR 0xFFFFFFFF (as in iSCSI,
// ext4 and SSE4.2's crc32 instruction). Check value: crc32c("123456789") == 0xE3069283.
using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

inline std::uint32_t crc32c(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) {
    Crc32c crc;
    crc.process_bytes(a.data(), a.size());
    crc.process_bytes(b.data(), b.size());
    return crc.checksum();
}

}  // namespace elmo::daemon
