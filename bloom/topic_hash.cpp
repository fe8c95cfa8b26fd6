#include "bloom/topic_hash.hpp"

#include "common/hash.hpp"

namespace elmo::bloom {

namespace {
// Explicit little-endian read: the result must not depend on the host's byte order.
std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}
}  // namespace

TopicHash TopicHash::of_bytes(ByteView topic) {
    const Sha256Digest d = sha256(topic);
    return TopicHash{load_le64(d.data()), load_le64(d.data() + 8), load_le64(d.data() + 16)};
}

TopicHash TopicHash::of(std::string_view topic) { return of_bytes(as_bytes(topic)); }

}  // namespace elmo::bloom
