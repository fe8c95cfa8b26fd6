#include "common/hash.hpp"

#include <gnutls/crypto.h>

#include <cassert>

namespace elmo {

Sha256Digest sha256(ByteView data) {
    Sha256Digest out{};
    int rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data(), data.size(), out.data());
    assert(rc == 0);
    (void)rc;
    return out;
}

Sha256Digest sha256_parts(std::initializer_list<ByteView> parts) {
    gnutls_hash_hd_t h;
    int rc = gnutls_hash_init(&h, GNUTLS_DIG_SHA256);
    assert(rc == 0);
    (void)rc;
    for (ByteView p : parts) {
        std::uint8_t len[8];
        std::uint64_t n = p.size();
        for (int i = 7; i >= 0; --i) {
            len[i] = static_cast<std::uint8_t>(n & 0xff);
            n >>= 8;
        }
        gnutls_hash(h, len, sizeof len);
        if (!p.empty()) gnutls_hash(h, p.data(), p.size());
    }
    Sha256Digest out{};
    gnutls_hash_deinit(h, out.data());
    return out;
}

std::string to_hex(ByteView data) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(data.size() * 2);
    for (std::uint8_t b : data) {
        s.push_back(digits[b >> 4]);
        s.push_back(digits[b & 0xf]);
    }
    return s;
}

}  // namespace elmo
