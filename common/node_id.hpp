#pragma once
#include <array>
#include <cstdint>

namespace elmo {

// A node id: the 160-bit id the node has in the DHT (OpenDHT's InfoHash bytes).
using NodeId = std::array<std::uint8_t, 20>;

}  // namespace elmo
