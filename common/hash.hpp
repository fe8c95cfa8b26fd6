#pragma once
// Stable content hashing. SHA-256 (GnuTLS) everywhere: the same bytes give the same digest on
// every machine and every build, which Bloom filters built on different nodes and event ids
// computed by publisher and mailbox both rely on.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "common/bytes.hpp"

namespace elmo {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(ByteView data);
// Hash of several parts, each prefixed with its 8-byte big-endian length so that part
// boundaries are unambiguous ("ab"+"c" differs from "a"+"bc").
Sha256Digest sha256_parts(std::initializer_list<ByteView> parts);

std::string to_hex(ByteView data);

}  // namespace elmo
