#include "bloom/codec.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "common/hash.hpp"

namespace elmo::bloom {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

template <class F>
Bytes build(F f) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    f(pk);
    auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
    return Bytes(p, p + buf.size());
}

void pack_bin(Packer& pk, const Bytes& b) {
    pk.pack_bin(static_cast<std::uint32_t>(b.size()));
    pk.pack_bin_body(reinterpret_cast<const char*>(b.data()), static_cast<std::uint32_t>(b.size()));
}

// [m, k, bin(bytes)] with arbitrary (possibly invalid) values.
Bytes raw_filter(std::uint64_t m, std::uint64_t k, const Bytes& bits) {
    return build([&](Packer& pk) {
        pk.pack_array(3);
        pk.pack(m);
        pk.pack(k);
        pack_bin(pk, bits);
    });
}

BloomFilter sample(std::size_t m, std::uint32_t k, int n) {
    BloomFilter f(m, k);
    for (int i = 0; i < n; ++i) f.insert("t" + std::to_string(i));
    return f;
}

// Malformed inputs with the error each must give; run by the tests below.
struct Cases {
    struct Case {
        bool attenuated;
        Bytes bytes;
        BloomDecodeError expected;
        std::string what;
    };
    std::vector<Case> list;

    void bloom(Bytes b, BloomDecodeError e, std::string what) {
        list.push_back({false, std::move(b), e, std::move(what)});
    }
    void attenuated(Bytes b, BloomDecodeError e, std::string what) {
        list.push_back({true, std::move(b), e, std::move(what)});
    }
    // Checks every case; returns the set of errors produced.
    std::set<BloomDecodeError> check() const {
        std::set<BloomDecodeError> seen;
        for (const Case& c : list) {
            const bool ok = c.attenuated ? decode_attenuated(c.bytes).ok() : decode_bloom(c.bytes).ok();
            if (ok) {
                ADD_FAILURE() << c.what << ": decoded";
                continue;
            }
            const BloomDecodeError got = c.attenuated ? decode_attenuated(c.bytes).error()
                                                      : decode_bloom(c.bytes).error();
            EXPECT_EQ(got, c.expected) << c.what << ": got " << to_string(got) << ", expected "
                                       << to_string(c.expected);
            seen.insert(got);
        }
        return seen;
    }
};

TEST(BloomCodec, RoundTrip) {
    std::vector<BloomFilter> filters{sample(8, 1, 1),     sample(13, 2, 3),   sample(64, 32, 2),
                                     sample(100, 3, 10),  sample(8192, 4, 150), sample(2048, 7, 150),
                                     sample(3001, 5, 300), BloomFilter(max_bits, 1)};
    BloomFilter ones(77, 3);
    ones.set_all();
    filters.push_back(ones);
    for (const BloomFilter& f : filters) {
        const Bytes b = encode(f);
        auto r = decode_bloom(b);
        ASSERT_TRUE(r.ok()) << f.bits() << ": " << to_string(r.error());
        EXPECT_EQ(r.value(), f);
        EXPECT_EQ(encode(r.value()), b);
    }
}

// Pinned bytes: the format is part of the protocol.
TEST(BloomCodec, GoldenBytes) {
    BloomFilter f(16, 2);
    f.insert("higgs");  // positions 9 and 0
    EXPECT_EQ(to_hex(encode(f)), "931002c4020102");
    AttenuatedBloomFilter a(0, 8, 1);
    EXPECT_EQ(to_hex(encode(a)), "9200919308" "01c40100");
    // Default hint: 3 levels of 1,024 bytes, ~3 KiB on the wire.
    EXPECT_EQ(encode(AttenuatedBloomFilter()).size(), 2 + 1 + 3 * (1 + 3 + 1 + 3 + 1024));
}

TEST(BloomCodec, AttenuatedRoundTrip) {
    for (std::size_t r : {std::size_t{0}, std::size_t{1}, std::size_t{2}, max_radius}) {
        AttenuatedBloomFilter a(r, 1000, 5);
        for (std::size_t l = 0; l <= r; ++l)
            for (int i = 0; i < 20; ++i) a.insert(l, "l" + std::to_string(l) + "/" + std::to_string(i));
        if (r > 0) a.set_all(r);
        const Bytes b = encode(a);
        auto d = decode_attenuated(b);
        ASSERT_TRUE(d.ok()) << to_string(d.error());
        EXPECT_EQ(d.value(), a);
        EXPECT_EQ(encode(d.value()), b);
    }
    AttenuatedBloomFilter def;
    def.insert(0, "x");
    auto d = decode_attenuated(encode(def));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.value(), def);
}

// Wire messages embed filters in larger bodies: the pack adaptor and *_from_object.
TEST(BloomCodec, EmbeddedInALargerBody) {
    const BloomFilter f = sample(2048, 7, 40);
    AttenuatedBloomFilter a;
    a.insert(1, "x");
    const Bytes body = build([&](Packer& pk) {
        pk.pack_array(4);
        pk.pack(std::string("hint"));
        pk.pack(f);  // msgpack::adaptor::pack
        pack(pk, a);  // the free function
        pk.pack(7);
    });
    msgpack::object_handle h = msgpack::unpack(reinterpret_cast<const char*>(body.data()), body.size());
    const msgpack::object& o = h.get();
    ASSERT_EQ(o.via.array.size, 4u);
    auto rf = bloom_from_object(o.via.array.ptr[1]);
    ASSERT_TRUE(rf.ok());
    EXPECT_EQ(rf.value(), f);
    auto ra = attenuated_from_object(o.via.array.ptr[2]);
    ASSERT_TRUE(ra.ok());
    EXPECT_EQ(ra.value(), a);
    auto wrong = bloom_from_object(o.via.array.ptr[0]);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error(), BloomDecodeError::wrong_type);
    // A long level list in a body parsed with looser limits is refused before any level is read.
    const Bytes long_list = build([&](Packer& pk) {
        pk.pack_array(2);
        pk.pack(2);
        pk.pack_array(500);
        for (int i = 0; i < 500; ++i) pk.pack(f);
    });
    msgpack::object_handle h2 =
        msgpack::unpack(reinterpret_cast<const char*>(long_list.data()), long_list.size());
    auto rl = attenuated_from_object(h2.get());
    ASSERT_FALSE(rl.ok());
    EXPECT_EQ(rl.error(), BloomDecodeError::level_count_mismatch);
}

void parse_error_cases(Cases& c) {
    const Bytes good = encode(sample(64, 3, 5));
    c.bloom({}, BloomDecodeError::truncated, "empty");
    for (std::size_t len = 1; len < good.size(); ++len)
        c.bloom(Bytes(good.begin(), good.begin() + long(len)), BloomDecodeError::truncated,
                           "prefix");
    c.bloom({0xc1}, BloomDecodeError::malformed, "reserved byte 0xc1");
    Bytes trailing = good;
    trailing.push_back(0x00);
    c.bloom(trailing, BloomDecodeError::trailing_bytes, "trailing byte");
    // Hostile sizes: refused by the parse limits before anything is allocated.
    c.bloom({0xdd, 0xff, 0xff, 0xff, 0xff}, BloomDecodeError::too_large, "array32 4G");
    c.bloom({0xdc, 0x00, 0x64}, BloomDecodeError::too_large, "array16 100");
    // A bin or str longer than the input: msgpack waits for the bytes, allocating nothing.
    c.bloom({0xc6, 0x7f, 0xff, 0xff, 0xff}, BloomDecodeError::truncated, "bin32 2G");
    c.bloom({0xdb, 0x7f, 0xff, 0xff, 0xff}, BloomDecodeError::truncated, "str32 2G");
    c.bloom({0xdf, 0x7f, 0xff, 0xff, 0xff}, BloomDecodeError::too_large, "map32 2G");
    c.bloom({0x91, 0x91, 0x91, 0x91, 0x01}, BloomDecodeError::too_large, "depth 4");
    c.attenuated({0x91, 0x91, 0x91, 0x91, 0x01}, BloomDecodeError::too_large, "depth 4");
    // A bin just over the largest valid filter.
    c.bloom(raw_filter(max_bits, 1, Bytes(max_bits / 8 + 1)), BloomDecodeError::too_large,
                       "bin over max");
    c.attenuated({0x92, 0x00, 0xdc, 0x00, 0x0a}, BloomDecodeError::too_large,
                            "10 levels");
}

void field_error_cases(Cases& c) {
    c.bloom(build([](Packer& pk) { pk.pack(5); }), BloomDecodeError::wrong_type, "int");
    c.bloom(build([](Packer& pk) { pk.pack_map(0); }), BloomDecodeError::wrong_type, "map");
    c.bloom(build([](Packer& pk) { pk.pack(std::string("bloom")); }),
                       BloomDecodeError::wrong_type, "str");
    c.bloom(build([](Packer& pk) { pk.pack_array(0); }), BloomDecodeError::wrong_array_size,
                       "[]");
    c.bloom(build([](Packer& pk) {
                           pk.pack_array(2);
                           pk.pack(64);
                           pk.pack(3);
                       }),
                       BloomDecodeError::wrong_array_size, "[m, k]");
    c.bloom(build([](Packer& pk) {
                           pk.pack_array(4);
                           pk.pack(8);
                           pk.pack(1);
                           pack_bin(pk, Bytes(1));
                           pk.pack_nil();
                       }),
                       BloomDecodeError::wrong_array_size, "[m, k, bits, nil]");
    auto with = [](auto m, auto k, auto bits) {
        return build([&](Packer& pk) {
            pk.pack_array(3);
            pk.pack(m);
            pk.pack(k);
            pk.pack(bits);
        });
    };
    c.bloom(with(std::string("64"), 3, msgpack::type::raw_ref("\0", 1)),
                       BloomDecodeError::wrong_type, "m str");
    c.bloom(with(-64, 3, Bytes(8)), BloomDecodeError::wrong_type, "m negative");
    // msgpack-c packs an integral double as an integer, so float64 64.0 is written by hand.
    Bytes float_m{0x93, 0xcb, 0x40, 0x50, 0, 0, 0, 0, 0, 0, 0x03, 0xc4, 0x08};
    float_m.resize(float_m.size() + 8);
    c.bloom(float_m, BloomDecodeError::wrong_type, "m float64 64.0");
    c.bloom(with(64.5, 3, Bytes(8)), BloomDecodeError::wrong_type, "m float");
    c.bloom(with(64, -3, Bytes(8)), BloomDecodeError::wrong_type, "k negative");
    c.bloom(with(64, true, Bytes(8)), BloomDecodeError::wrong_type, "k bool");
    c.bloom(with(64, 3, std::string(8, '\0')), BloomDecodeError::wrong_type, "bits str");
    c.bloom(with(64, 3, std::vector<int>{0, 0}), BloomDecodeError::wrong_type,
                       "bits array");
    c.bloom(raw_filter(0, 1, {}), BloomDecodeError::bits_too_small, "m = 0");
    c.bloom(raw_filter(7, 1, Bytes(1)), BloomDecodeError::bits_too_small, "m = 7");
    c.bloom(raw_filter(max_bits + 1, 1, Bytes(1)), BloomDecodeError::bits_too_large,
                       "m over max");
    c.bloom(raw_filter(~std::uint64_t{0}, 1, Bytes(1)), BloomDecodeError::bits_too_large,
                       "m = 2^64-1");
    c.bloom(raw_filter(64, 0, Bytes(8)), BloomDecodeError::hashes_zero, "k = 0");
    c.bloom(raw_filter(64, 33, Bytes(8)), BloomDecodeError::hashes_too_large, "k = 33");
    c.bloom(raw_filter(64, ~std::uint64_t{0}, Bytes(8)), BloomDecodeError::hashes_too_large,
                       "k = 2^64-1");
    c.bloom(raw_filter(16, 1, Bytes(1)), BloomDecodeError::bit_bytes_length, "short");
    c.bloom(raw_filter(16, 1, Bytes(3)), BloomDecodeError::bit_bytes_length, "long");
    c.bloom(raw_filter(16, 1, {}), BloomDecodeError::bit_bytes_length, "none");
    c.bloom(raw_filter(12, 1, Bytes{0x00, 0x10}), BloomDecodeError::stray_bits,
                       "bit 12 of 12");
    c.bloom(raw_filter(9, 1, Bytes{0x00, 0x80}), BloomDecodeError::stray_bits, "bit 15 of 9");
    // The boundary itself is fine: bit m-1 set.
    auto ok = decode_bloom(raw_filter(12, 1, Bytes{0x00, 0x08}));
    ASSERT_TRUE(ok.ok());
    EXPECT_TRUE(ok.value().test(11));
}

Bytes raw_attenuated(std::uint64_t r, const std::vector<Bytes>& levels) {
    Bytes out = build([&](Packer& pk) {
        pk.pack_array(2);
        pk.pack(r);
        pk.pack_array(static_cast<std::uint32_t>(levels.size()));
    });
    for (const Bytes& l : levels) out.insert(out.end(), l.begin(), l.end());
    return out;
}

void attenuated_error_cases(Cases& c) {
    const Bytes level = encode(sample(64, 3, 4));
    c.attenuated({}, BloomDecodeError::truncated, "empty");
    const Bytes good = raw_attenuated(2, {level, level, level});
    ASSERT_TRUE(decode_attenuated(good).ok());
    for (std::size_t len = 1; len < good.size(); ++len)
        c.attenuated(Bytes(good.begin(), good.begin() + long(len)),
                                BloomDecodeError::truncated, "prefix");
    Bytes trailing = good;
    trailing.push_back(0xc0);
    c.attenuated(trailing, BloomDecodeError::trailing_bytes, "trailing nil");
    c.attenuated({0xc1}, BloomDecodeError::malformed, "0xc1");

    c.attenuated(level, BloomDecodeError::wrong_array_size, "a plain filter");
    c.attenuated(build([](Packer& pk) { pk.pack(1); }), BloomDecodeError::wrong_type, "int");
    c.attenuated(build([](Packer& pk) {
                                pk.pack_array(1);
                                pk.pack(0);
                            }),
                            BloomDecodeError::wrong_array_size, "[R]");
    c.attenuated(build([&](Packer& pk) {
                                pk.pack_array(2);
                                pk.pack(-1);
                                pk.pack_array(0);
                            }),
                            BloomDecodeError::wrong_type, "R negative");
    c.attenuated(build([&](Packer& pk) {
                                pk.pack_array(2);
                                pk.pack(0);
                                pk.pack(1);
                            }),
                            BloomDecodeError::wrong_type, "levels not an array");
    c.attenuated(raw_attenuated(max_radius + 1, {}), BloomDecodeError::radius_too_large,
                            "R = 9");
    c.attenuated(raw_attenuated(~std::uint64_t{0}, {}), BloomDecodeError::radius_too_large,
                            "R = 2^64-1");
    c.attenuated(raw_attenuated(2, {level, level}), BloomDecodeError::level_count_mismatch,
                            "2 levels for R = 2");
    c.attenuated(raw_attenuated(0, {}), BloomDecodeError::level_count_mismatch,
                            "no level");
    c.attenuated(raw_attenuated(1, {level, level, level}),
                            BloomDecodeError::level_count_mismatch, "3 levels for R = 1");
    c.attenuated(raw_attenuated(1, {level, encode(sample(64, 4, 4))}),
                            BloomDecodeError::mixed_level_shape, "k differs");
    c.attenuated(raw_attenuated(1, {level, encode(sample(128, 3, 4))}),
                            BloomDecodeError::mixed_level_shape, "m differs");
    // A bad level reports its own error.
    c.attenuated(raw_attenuated(1, {level, raw_filter(64, 0, Bytes(8))}),
                            BloomDecodeError::hashes_zero, "level k = 0");
    c.attenuated(raw_attenuated(1, {level, raw_filter(12, 1, Bytes{0, 0xf0})}),
                            BloomDecodeError::stray_bits, "level stray bits");
    c.attenuated(raw_attenuated(0, {build([](Packer& pk) { pk.pack(3); })}),
                            BloomDecodeError::wrong_type, "level not an array");
}

TEST(BloomCodec, ParseErrors) {
    Cases c;
    parse_error_cases(c);
    c.check();
}

TEST(BloomCodec, FieldErrors) {
    Cases c;
    field_error_cases(c);
    c.check();
}

TEST(BloomCodec, AttenuatedErrors) {
    Cases c;
    attenuated_error_cases(c);
    c.check();
}

// Every error value is produced by some case above and has its own name.
TEST(BloomCodec, EveryErrorValueIsProducedAndNamed) {
    Cases c;
    parse_error_cases(c);
    field_error_cases(c);
    attenuated_error_cases(c);
    const std::set<BloomDecodeError> seen = c.check();
    std::set<std::string> names;
    for (std::size_t i = 0; i < bloom_decode_error_count; ++i) {
        const auto e = static_cast<BloomDecodeError>(i);
        EXPECT_TRUE(seen.count(e)) << "no case produces " << to_string(e);
        names.insert(to_string(e));
    }
    EXPECT_EQ(names.size(), bloom_decode_error_count);
    EXPECT_EQ(names.count("unknown"), 0u);
}

}  // namespace
}  // namespace elmo::bloom
