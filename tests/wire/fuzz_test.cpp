// 100,000+ random and mutated buffers: decode never throws or crashes; every input is a typed
// error or a valid message, and every valid message survives a re-encode unchanged.
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "test_messages.hpp"
#include "wire/codec.hpp"

namespace elmo::wire {
namespace {

struct Tally {
    std::size_t ok = 0;
    std::array<std::size_t, decode_error_code_count> errors{};

    void check(const Bytes& input) {
        Result<Message, DecodeError> r = Err{DecodeError{}};
        ASSERT_NO_THROW(r = decode(input));
        if (r.ok()) {
            ++ok;
            // A valid message is exactly what its encoding says: re-encoding round-trips.
            auto again = decode(encode(*r));
            ASSERT_TRUE(again.ok());
            ASSERT_EQ(*again, *r);
        } else {
            auto code = static_cast<std::size_t>(r.error().code);
            ASSERT_LT(code, decode_error_code_count);
            ++errors[code];
        }
    }
    std::size_t total() const {
        std::size_t n = ok;
        for (auto e : errors) n += e;
        return n;
    }
};

std::vector<Bytes> seeds() {
    return {encode(Ping{1}), encode(Pong{0xffffffff}), encode(EventPush{test::sample_event(1, 0)}),
            encode(EventPush{test::sample_event(2, 300)})};
}

Bytes mutate(Bytes b, std::mt19937_64& rng) {
    std::uniform_int_distribution<int> op(0, 5);
    int rounds = 1 + static_cast<int>(rng() % 4);
    for (int r = 0; r < rounds && !b.empty(); ++r) {
        std::size_t at = rng() % b.size();
        switch (op(rng)) {
            case 0: b[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;  // bit flip
            case 1: b[at] = static_cast<std::uint8_t>(rng()); break;                 // byte set
            case 2: b.insert(b.begin() + static_cast<long>(at), static_cast<std::uint8_t>(rng())); break;
            case 3: b.erase(b.begin() + static_cast<long>(at)); break;
            case 4: b.resize(at); break;  // truncate
            case 5: {                    // interesting msgpack markers
                static constexpr std::uint8_t markers[] = {0xc0, 0xc4, 0xc5, 0xc6, 0xd9, 0xda,
                                                           0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xcf,
                                                           0xd3, 0xcb, 0x90, 0x9f, 0xff};
                b[at] = markers[rng() % sizeof markers];
                break;
            }
        }
    }
    if (!b.empty() && rng() % 2) b[0] = elmo_magic;  // mostly get past the magic check
    return b;
}

TEST(WireFuzz, RandomBuffers) {
    std::mt19937_64 rng(20260611);
    Tally t;
    for (int i = 0; i < 50'000; ++i) {
        Bytes b(rng() % 200);
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        if (!b.empty() && i % 2) b[0] = elmo_magic;
        t.check(b);
        if (HasFatalFailure()) return;
    }
    EXPECT_EQ(t.total(), 50'000u);
    EXPECT_GT(t.errors[static_cast<std::size_t>(DecodeErrorCode::bad_magic)], 0u);
    EXPECT_GT(t.errors[static_cast<std::size_t>(DecodeErrorCode::bad_envelope)] +
                  t.errors[static_cast<std::size_t>(DecodeErrorCode::truncated)],
              0u);
}

TEST(WireFuzz, MutatedValidMessages) {
    std::mt19937_64 rng(424242);
    auto base = seeds();
    Tally t;
    for (int i = 0; i < 60'000; ++i) {
        t.check(mutate(base[static_cast<std::size_t>(i) % base.size()], rng));
        if (HasFatalFailure()) return;
    }
    EXPECT_EQ(t.total(), 60'000u);
    std::size_t distinct_codes = 0;
    for (auto e : t.errors) distinct_codes += e > 0;
    std::printf("mutated: %zu valid, %zu distinct error codes\n", t.ok, distinct_codes);
    // Mutations reach deep into bodies, not only the envelope.
    EXPECT_GE(distinct_codes, 8u);
    EXPECT_GT(t.errors[static_cast<std::size_t>(DecodeErrorCode::id_mismatch)], 0u);
    EXPECT_GT(t.ok, 0u);
}

}  // namespace
}  // namespace elmo::wire
