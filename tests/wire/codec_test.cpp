// Round trips and every typed failure of the envelope and the field codec.
#include <gtest/gtest.h>

#include "test_messages.hpp"
#include "wire/codec.hpp"
#include "wire/datagram_kind.hpp"

namespace elmo::wire {
namespace {

using test::raw_datagram;
using test::sample_event;

DecodeErrorCode error_of(const Bytes& b) {
    auto r = decode(b);
    EXPECT_FALSE(r.ok());
    return r.ok() ? DecodeErrorCode::empty : r.error().code;
}

TEST(WireCodec, PingPongRoundTrip) {
    for (std::uint64_t nonce : {0ull, 1ull, 0xffffffffffffffffull}) {
        auto r = decode(encode(Ping{nonce}));
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_EQ(std::get<Ping>(*r).nonce, nonce);
        auto r2 = decode(encode(Pong{nonce}));
        ASSERT_TRUE(r2.ok());
        EXPECT_EQ(std::get<Pong>(*r2), Pong{nonce});
    }
}

TEST(WireCodec, EventPushRoundTripKeepsEveryField) {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, limits::max_payload_bytes}) {
        EventPush push{sample_event(42, size)};
        auto bytes = encode(push);
        EXPECT_EQ(bytes[0], elmo_magic);
        EXPECT_EQ(classify(bytes), DatagramKind::elmo);
        auto r = decode(bytes);
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_EQ(std::get<EventPush>(*r), push);
        EXPECT_EQ(type_id_of(*r), EventPush::type_id);
    }
}

TEST(WireCodec, MessageNamesComeFromTheRegistry) {
    EXPECT_EQ(message_name(Ping::type_id), "ping");
    EXPECT_EQ(message_name(EventPush::type_id), "event_push");
    EXPECT_EQ(message_name(0xffff), "unknown");
}

TEST(WireCodec, EmptyAndForeignBytes) {
    EXPECT_EQ(error_of(Bytes{}), DecodeErrorCode::empty);
    EXPECT_EQ(error_of(Bytes{0x81, 0xa1, 0x79}), DecodeErrorCode::bad_magic);
    EXPECT_EQ(error_of(Bytes{0x00}), DecodeErrorCode::bad_magic);
}

TEST(WireCodec, EveryTruncationIsTyped) {
    auto bytes = encode(EventPush{sample_event()});
    for (std::size_t n = 1; n < bytes.size(); ++n) {
        Bytes cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
        auto r = decode(cut);
        ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
        // A prefix is either incomplete msgpack or (for the magic byte alone) truncated.
        EXPECT_EQ(r.error().code, DecodeErrorCode::truncated) << n << ": " << r.error().to_string();
    }
}

TEST(WireCodec, TrailingBytesRejected) {
    auto bytes = encode(Ping{5});
    bytes.push_back(0xc0);
    EXPECT_EQ(error_of(bytes), DecodeErrorCode::trailing_bytes);
}

TEST(WireCodec, OversizedDatagramNamesTheLimit) {
    Bytes big(limits::max_datagram_bytes + 1, 0);
    big[0] = elmo_magic;
    auto r = decode(big);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::too_large);
    EXPECT_STREQ(r.error().what, "max_datagram_bytes");
    EXPECT_EQ(r.error().limit, limits::max_datagram_bytes);
}

TEST(WireCodec, OversizedPayloadNamesTheField) {
    // Bypass Event::seal's expectations: build a valid-looking event with a too-big payload.
    Event e = sample_event(1, limits::max_payload_bytes + 1);
    auto r = decode(encode(EventPush{e}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::too_large);
    EXPECT_STREQ(r.error().what, "event.payload");
    EXPECT_EQ(r.error().limit, limits::max_payload_bytes);
}

TEST(WireCodec, OversizedTopicRejected) {
    Event e = sample_event();
    e.topic.assign(limits::max_topic_bytes + 1, 't');
    e.seal();
    auto r = decode(encode(EventPush{e}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::too_large);
    EXPECT_STREQ(r.error().what, "event.topic");
}

TEST(WireCodec, HugeDeclaredContainerDoesNotAllocate) {
    // An array header claiming 4 billion elements, then nothing.
    Bytes b{elmo_magic, 0xdd, 0xff, 0xff, 0xff, 0xff};
    auto r = decode(b);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.error().code == DecodeErrorCode::too_large ||
                r.error().code == DecodeErrorCode::truncated)
        << r.error().to_string();
}

TEST(WireCodec, DeepNestingRejected) {
    Bytes b{elmo_magic};
    for (int i = 0; i < 100; ++i) b.push_back(0x91);  // [[[[...
    b.push_back(0xc0);
    auto r = decode(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::too_large);
    EXPECT_STREQ(r.error().what, "max_depth");
}

TEST(WireCodec, EnvelopeShapeChecked) {
    EXPECT_EQ(error_of(raw_datagram([](Packer& pk) { pk.pack(1); })),
              DecodeErrorCode::bad_envelope);
    EXPECT_EQ(error_of(raw_datagram([](Packer& pk) {
                  pk.pack_array(2);
                  pk.pack(1);
                  pk.pack(1);
              })),
              DecodeErrorCode::bad_envelope);
    EXPECT_EQ(error_of(raw_datagram([](Packer& pk) {
                  pk.pack_array(3);
                  pk.pack("1");
                  pk.pack(1);
                  pk.pack_array(0);
              })),
              DecodeErrorCode::bad_envelope);
}

TEST(WireCodec, UnknownVersionAndType) {
    EXPECT_EQ(error_of(raw_datagram([](Packer& pk) {
                  pk.pack_array(3);
                  pk.pack(protocol_version + 1);
                  pk.pack(Ping::type_id);
                  pk.pack_array(1);
                  pk.pack(1);
              })),
              DecodeErrorCode::unsupported_version);
    EXPECT_EQ(error_of(raw_datagram([](Packer& pk) {
                  pk.pack_array(3);
                  pk.pack(protocol_version);
                  pk.pack(999);
                  pk.pack_array(0);
              })),
              DecodeErrorCode::unknown_type);
    EXPECT_EQ(error_of(raw_datagram([](Packer& pk) {
                  pk.pack_array(3);
                  pk.pack(protocol_version);
                  pk.pack(-1);
                  pk.pack_array(0);
              })),
              DecodeErrorCode::unknown_type);
}

Bytes ping_with_body(const std::function<void(Packer&)>& body) {
    return raw_datagram([&](Packer& pk) {
        pk.pack_array(3);
        pk.pack(protocol_version);
        pk.pack(Ping::type_id);
        body(pk);
    });
}

TEST(WireCodec, FieldTypesAndCountsAreStrict) {
    EXPECT_EQ(error_of(ping_with_body([](Packer& pk) { pk.pack(5); })),
              DecodeErrorCode::wrong_type);  // body not an array
    EXPECT_EQ(error_of(ping_with_body([](Packer& pk) { pk.pack_array(0); })),
              DecodeErrorCode::missing_field);
    EXPECT_EQ(error_of(ping_with_body([](Packer& pk) {
                  pk.pack_array(2);
                  pk.pack(1);
                  pk.pack(2);
              })),
              DecodeErrorCode::extra_field);
    EXPECT_EQ(error_of(ping_with_body([](Packer& pk) {
                  pk.pack_array(1);
                  pk.pack("one");
              })),
              DecodeErrorCode::wrong_type);
    EXPECT_EQ(error_of(ping_with_body([](Packer& pk) {
                  pk.pack_array(1);
                  pk.pack(-1);
              })),
              DecodeErrorCode::out_of_range);
    EXPECT_EQ(error_of(ping_with_body([](Packer& pk) {
                  pk.pack_array(1);
                  pk.pack(1.5);
              })),
              DecodeErrorCode::wrong_type);
}

}  // namespace
}  // namespace elmo::wire
