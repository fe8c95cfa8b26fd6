// Every gossip message: a round trip of a filled sample, every truncation a typed error, the
// exact field count, and the malformed values each message refuses. Through the field codec
// with a [type_id, body] frame; through the real envelope too once the lead registers the type.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "wire/codec.hpp"

namespace elmo::gossip::test {
namespace {

using wire::DecodeErrorCode;

template <class T>
T sample();
template <>
wire::GossipEvent sample() {
    return {make_event("higgs", 7), 3, wire::GossipKind::graft};
}
template <>
wire::IHave sample() {
    return {"higgs", {id_of(1), id_of(2)}};
}
template <>
wire::Graft sample() {
    return {"higgs", {id_of(3)}};
}
template <>
wire::Prune sample() {
    return {"higgs"};
}
template <>
wire::Digest sample() {
    return {"higgs", node_id(9), {id_of(4), id_of(5), id_of(6)}};
}
template <>
wire::DigestWant sample() {
    return {"higgs", {}};
}
template <>
wire::GossipJoin sample() {
    return {"higgs", node_id(9), true};
}
template <>
wire::GossipLeave sample() {
    return {"higgs"};
}

template <class T, class V>
struct in_variant;
template <class T, class... Ts>
struct in_variant<T, std::variant<Ts...>> : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};

template <class T>
class EveryGossipMessage : public ::testing::Test {};
using GossipTypes =
    ::testing::Types<wire::GossipEvent, wire::IHave, wire::Graft, wire::Prune, wire::Digest,
                     wire::DigestWant, wire::GossipJoin, wire::GossipLeave>;
TYPED_TEST_SUITE(EveryGossipMessage, GossipTypes);

TYPED_TEST(EveryGossipMessage, RoundTrip) {
    TypeParam m = sample<TypeParam>();
    auto [out, err] = decode_gossip(encode_gossip(m));
    ASSERT_FALSE(err) << err->to_string();
    ASSERT_TRUE(std::holds_alternative<TypeParam>(*out));
    EXPECT_EQ(std::get<TypeParam>(*out), m);
    EXPECT_EQ(wire::topic_of(wire::GossipMessage{m}), "higgs");
    EXPECT_GE(TypeParam::type_id, 60);
    EXPECT_LE(TypeParam::type_id, 79);
    static_assert(wire::is_gossip_message_v<TypeParam>);
}

// Once registered in wire/messages.hpp, the same sample goes through the real envelope.
TYPED_TEST(EveryGossipMessage, RoundTripInEnvelopeWhenRegistered) {
    if constexpr (in_variant<TypeParam, wire::Message>::value) {
        TypeParam m = sample<TypeParam>();
        auto r = wire::decode(wire::encode(m));
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_EQ(std::get<TypeParam>(*r), m);
        EXPECT_EQ(wire::message_name(TypeParam::type_id), TypeParam::name);
    } else {
        GTEST_SKIP() << TypeParam::name << " is not in wire::MessageTypes yet";
    }
}

TYPED_TEST(EveryGossipMessage, EveryTruncationIsTyped) {
    auto bytes = encode_gossip(sample<TypeParam>());
    for (std::size_t n = 1; n < bytes.size(); ++n) {
        auto [out, err] = decode_gossip(ByteView(bytes.data(), n));
        ASSERT_FALSE(out);
        ASSERT_TRUE(err);
        EXPECT_EQ(err->code, DecodeErrorCode::truncated);
    }
}

// The body with one field too few or too many.
template <class T>
Bytes with_field_count_delta(const T& m, int delta) {
    msgpack::sbuffer body;
    wire::Packer bp(body);
    wire::pack_value(bp, m);
    auto h = msgpack::unpack(body.data(), body.size());
    const auto& arr = h.get().via.array;
    msgpack::sbuffer buf;
    wire::Packer pk(buf);
    pk.pack_array(2);
    pk.pack(T::type_id);
    auto n = static_cast<std::uint32_t>(static_cast<int>(arr.size) + delta);
    pk.pack_array(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        if (i < arr.size)
            pk.pack(arr.ptr[i]);
        else
            pk.pack_nil();
    }
    auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
    return Bytes(p, p + buf.size());
}

TYPED_TEST(EveryGossipMessage, FieldCountIsExact) {
    auto m = sample<TypeParam>();
    auto fewer = decode_gossip(with_field_count_delta(m, -1));
    ASSERT_TRUE(fewer.second);
    EXPECT_EQ(fewer.second->code, DecodeErrorCode::missing_field);
    auto more = decode_gossip(with_field_count_delta(m, +1));
    ASSERT_TRUE(more.second);
    EXPECT_EQ(more.second->code, DecodeErrorCode::extra_field);
}

TYPED_TEST(EveryGossipMessage, TopicOverLimitRefused) {
    TypeParam m = sample<TypeParam>();
    std::string long_topic(wire::limits::max_topic_bytes + 1, 't');
    if constexpr (std::is_same_v<TypeParam, wire::GossipEvent>)
        m.event.topic = long_topic;
    else
        m.topic = long_topic;
    auto [out, err] = decode_gossip(encode_gossip(m));
    ASSERT_TRUE(err);
    EXPECT_EQ(err->code, DecodeErrorCode::too_large);
}

std::optional<wire::DecodeError> error_of(const wire::GossipMessage& m) {
    return decode_gossip(encode_gossip(m)).second;
}

TEST(GossipMessages, IdListsOverLimitRefused) {
    std::vector<wire::EventId> many(wire::max_gossip_ids + 1, id_of(1));
    std::vector<wire::EventId> at_limit(wire::max_gossip_ids, id_of(1));
    for (auto m :
         {wire::GossipMessage{wire::IHave{"t", many}}, wire::GossipMessage{wire::Graft{"t", many}},
          wire::GossipMessage{wire::Digest{"t", node_id(1), many}},
          wire::GossipMessage{wire::DigestWant{"t", many}}}) {
        auto e = error_of(m);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->code, DecodeErrorCode::too_large);
        EXPECT_STREQ(e->what, "ids");
        EXPECT_EQ(e->limit, wire::max_gossip_ids);
    }
    EXPECT_FALSE(error_of(wire::IHave{"t", at_limit}));
    EXPECT_LE(encode_gossip(wire::Digest{"t", node_id(1), at_limit}).size(),
              wire::limits::max_datagram_bytes);
}

TEST(GossipMessages, EmptyIHaveAndGraftRefusedEmptyDigestAccepted) {
    auto e = error_of(wire::IHave{"t", {}});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, DecodeErrorCode::invalid_value);
    e = error_of(wire::Graft{"t", {}});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, DecodeErrorCode::invalid_value);
    EXPECT_FALSE(error_of(wire::Digest{"t", node_id(1), {}}));
    EXPECT_FALSE(error_of(wire::DigestWant{"t", {}}));
}

TEST(GossipMessages, BadKindRefused) {
    auto g = sample<wire::GossipEvent>();
    g.kind = static_cast<wire::GossipKind>(3);
    auto e = error_of(g);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, DecodeErrorCode::out_of_range);
}

TEST(GossipMessages, TamperedEventRefused) {
    auto g = sample<wire::GossipEvent>();
    g.event.payload[0] ^= 1;  // id no longer the content's hash
    auto e = error_of(g);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, DecodeErrorCode::id_mismatch);
}

TEST(GossipMessages, HopsOutOfRangeAndWrongTypesRefused) {
    // hops above 16 bits, and a sender id of the wrong length, built by hand.
    auto build = [](auto&& body) {
        msgpack::sbuffer buf;
        wire::Packer pk(buf);
        pk.pack_array(2);
        body(pk);
        auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
        return Bytes(p, p + buf.size());
    };
    auto g = sample<wire::GossipEvent>();
    auto bytes = build([&](wire::Packer& pk) {
        pk.pack(wire::GossipEvent::type_id);
        pk.pack_array(3);
        wire::pack_value(pk, g.event);
        pk.pack(std::uint32_t{70'000});
        pk.pack(0);
    });
    auto e = decode_gossip(bytes).second;
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, DecodeErrorCode::out_of_range);

    bytes = build([&](wire::Packer& pk) {
        pk.pack(wire::GossipJoin::type_id);
        pk.pack_array(3);
        pk.pack(std::string("t"));
        pk.pack_bin(19);
        pk.pack_bin_body("0123456789012345678", 19);
        pk.pack(false);
    });
    e = decode_gossip(bytes).second;
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, DecodeErrorCode::invalid_value);

    bytes = build([&](wire::Packer& pk) {
        pk.pack(wire::IHave::type_id);
        pk.pack_array(2);
        pk.pack(std::string("t"));
        pk.pack(std::string("not a list"));
    });
    e = decode_gossip(bytes).second;
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, DecodeErrorCode::wrong_type);
}

TEST(GossipMessages, TypeIdsAreDistinctAndInRange) {
    std::vector<std::uint16_t> ids = {wire::GossipEvent::type_id, wire::IHave::type_id,
                                      wire::Graft::type_id,       wire::Prune::type_id,
                                      wire::Digest::type_id,      wire::DigestWant::type_id,
                                      wire::GossipJoin::type_id,  wire::GossipLeave::type_id};
    std::set<std::uint16_t> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), ids.size());
    for (auto id : ids) {
        EXPECT_GE(id, 60);
        EXPECT_LE(id, 79);
    }
}

}  // namespace
}  // namespace elmo::gossip::test
