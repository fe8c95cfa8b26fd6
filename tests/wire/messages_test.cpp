// Every registered message: a round trip of a filled sample, every truncation a typed error,
// a body with one field too few or too many refused, and out-of-range enums refused.
#include <gtest/gtest.h>

#include "test_messages.hpp"
#include "wire/codec.hpp"

namespace elmo::wire {
namespace {

NodeAddr node(std::uint8_t n) {
    NodeId id{};
    id.fill(n);
    return NodeAddr::from(id, Endpoint::v4(0x7f000000u + n, 4222));
}

template <class T>
T sample();
template <> Ping sample() { return {9}; }
template <> Pong sample() { return {10}; }
template <> EventPush sample() { return {test::sample_event()}; }
template <> HintUpdate sample() {
    bloom::AttenuatedBloomFilter f(2);
    f.insert(0, "higgs");
    f.insert(2, "boson");
    return {3, 360, 1, f};
}
template <> WalkStep sample() {
    WalkStep w;
    w.walk_id = 77;
    w.origin = node(1);
    w.topic = "t";
    w.ttl = 8;
    w.hops = 2;
    w.first_hit_hop = 1;
    w.want_recruit = true;
    w.visited = {node(1).id, node(2).id};
    w.hits = {node(3)};
    w.recruits = {{node(4), 10, 3}};
    return w;
}
template <> WalkResult sample() {
    return {77, "t", 8, 3, {node(3)}, {{node(4), 1, 2}, {node(5), 300, 40}}};
}
template <> AdoptRequest sample() { return {5, "t"}; }
template <> AdoptReply sample() { return {5, "t", AdoptStatus::refused_full}; }
template <> RegisterRequest sample() { return {6, "t", Bytes{1, 2, 3}}; }
template <> RegisterBeyondTopicBudget sample() { return {{7, "t", Bytes{1, 2, 3}}}; }
template <> RegisterReply sample() {
    return {6, "t", Bytes{1, 2, 3}, RegisterStatus::renewed, 1800, {node(7), node(8)}};
}
template <> TopicEvaporated sample() { return {"t", {node(9)}}; }
template <> ElectionClaim sample() { return {16, "t", node(4)}; }
template <> ElectionVerdict sample() { return {16, "t", node(5)}; }
template <> ClientHello sample() { return {Bytes(16, 0xcc)}; }
template <> Subscribe sample() { return {11, "t", {node(2)}}; }
template <> SubscribeResult sample() {
    return {11, "t", SubscribeStatus::registered, node(3), 1800, {node(4)}};
}
template <> Unsubscribe sample() { return {"t", {node(3)}}; }
template <> MailboxLost sample() { return {"t", node(3), {node(4)}}; }
template <> NodeList sample() { return {{node(5), node(6)}}; }
template <> GossipEvent sample() { return {test::sample_event(), 2, GossipKind::push}; }
template <> IHave sample() { return {"higgs", {test::sample_event(1).id}}; }
template <> Graft sample() { return {"higgs", {test::sample_event(2).id}}; }
template <> Prune sample() { return {"higgs"}; }
template <> Digest sample() { return {"higgs", node(5).id, {test::sample_event(3).id}}; }
template <> DigestWant sample() { return {"higgs", {}}; }
template <> GossipJoin sample() { return {"higgs", node(5).id, false}; }
template <> GossipLeave sample() { return {"higgs"}; }
template <> StoreRequest sample() { return {12, test::sample_event(), true}; }
template <> StoreReply sample() {
    return {12, test::sample_event().id, StoreStatus::duplicate, {node(4)}};
}
template <> ClientPush sample() {
    return {node(2), {Bytes{1, 2}, Bytes{3}}, test::sample_event()};
}
template <> PollRequest sample() {
    return {13, "higgs", Bytes{1, 2, 3}, {test::sample_event(1).id, test::sample_event(2).id},
            41, 1'341'446'400'000};
}
template <> PollReply sample() {
    return {13, "higgs", PollStatus::ok, {test::sample_event(1), test::sample_event(2)},
            {test::sample_event(3).id}, {node(6)}, true, 42};
}
template <> MailboxIntro sample() { return {"higgs", {node(1), node(2)}}; }
template <> Publish sample() { return {14, test::sample_event(), {node(3)}, true}; }
template <> PublishResult sample() {
    return {14, test::sample_event().id, PublishStatus::accepted, node(3), {node(5)}};
}
template <> Deliver sample() { return {node(3), {test::sample_event(4)}}; }
template <> Poll sample() {
    return {15, "higgs", node(3), {test::sample_event(5).id}, 43, 1'341'446'400'000};
}
template <> PollResult sample() {
    return {15, "higgs", node(3), PollStatus::unreachable, {}, {}, {}, false, 44};
}

template <class T>
class EveryMessage : public ::testing::Test {};

template <class L>
struct ToGtest;
template <class... Ts>
struct ToGtest<TypeList<Ts...>> {
    using type = ::testing::Types<Ts...>;
};
TYPED_TEST_SUITE(EveryMessage, ToGtest<MessageTypes>::type);

TYPED_TEST(EveryMessage, RoundTrip) {
    TypeParam m = sample<TypeParam>();
    auto bytes = encode(m);
    auto r = decode(bytes);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ASSERT_TRUE(std::holds_alternative<TypeParam>(*r));
    EXPECT_EQ(std::get<TypeParam>(*r), m);
    EXPECT_EQ(message_name(TypeParam::type_id), TypeParam::name);
}

TYPED_TEST(EveryMessage, EveryTruncationIsTyped) {
    auto bytes = encode(sample<TypeParam>());
    for (std::size_t n = 1; n < bytes.size(); ++n) {
        auto r = decode(ByteView(bytes.data(), n));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, DecodeErrorCode::truncated);
    }
}

// Rebuilds the envelope with the body's field array shortened or lengthened by one.
template <class T>
Bytes with_field_count_delta(const T& m, int delta) {
    msgpack::sbuffer body;
    Packer bp(body);
    pack_value(bp, m);
    auto h = msgpack::unpack(body.data(), body.size());
    const auto& arr = h.get().via.array;
    return test::raw_datagram([&](Packer& pk) {
        pk.pack_array(3);
        pk.pack(protocol_version);
        pk.pack(T::type_id);
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<int>(arr.size) + delta);
        pk.pack_array(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            if (i < arr.size) pk.pack(arr.ptr[i]);
            else pk.pack_nil();
        }
    });
}

TYPED_TEST(EveryMessage, FieldCountIsExact) {
    auto m = sample<TypeParam>();
    auto fewer = decode(with_field_count_delta(m, -1));
    ASSERT_FALSE(fewer.ok());
    EXPECT_EQ(fewer.error().code, DecodeErrorCode::missing_field);
    auto more = decode(with_field_count_delta(m, +1));
    ASSERT_FALSE(more.ok());
    EXPECT_EQ(more.error().code, DecodeErrorCode::extra_field);
}

TEST(WireMessages, OutOfRangeEnumRefused) {
    AdoptReply a = sample<AdoptReply>();
    a.status = static_cast<AdoptStatus>(9);
    auto r = decode(encode(a));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::out_of_range);
}

TEST(WireMessages, WalkTtlAndListLimits) {
    WalkStep w = sample<WalkStep>();
    w.ttl = static_cast<std::uint8_t>(max_walk_ttl + 1);
    auto r = decode(encode(w));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::out_of_range);
    w = sample<WalkStep>();
    w.hits.assign(max_walk_hits + 1, node(3));
    r = decode(encode(w));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::too_large);
    EXPECT_STREQ(r.error().what, "hits");
}

TEST(WireMessages, BadEndpointRefused) {
    Subscribe s = sample<Subscribe>();
    s.preferred[0].endpoint.addr.resize(5);  // neither IPv4 nor IPv6
    auto r = decode(encode(s));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::invalid_value);
}

TEST(WireMessages, EmptyHintAndBadFilterInsideAHint) {
    HintUpdate h = sample<HintUpdate>();
    h.topics.reset();
    auto r = decode(encode(h));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(std::get<HintUpdate>(*r).topics.has_value());
    // A filter whose bit array is one byte short, inside an otherwise valid hint.
    auto bytes = test::raw_datagram([](Packer& pk) {
        pk.pack_array(3);
        pk.pack(protocol_version);
        pk.pack(HintUpdate::type_id);
        pk.pack_array(4);
        pk.pack(1);
        pk.pack(360);
        pk.pack(0);
        pk.pack_array(2);
        pk.pack(0);
        pk.pack_array(1);
        pk.pack_array(3);
        pk.pack(64);
        pk.pack(4);
        pk.pack_bin(7);
        pk.pack_bin_body("\0\0\0\0\0\0\0", 7);
    });
    r = decode(bytes);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::invalid_value);
    EXPECT_STREQ(r.error().what, "bit_bytes_length");
}

TEST(WireMessages, EndpointConversionRoundTrips) {
    Endpoint e = Endpoint::v4(0x7f010203u, 4222);
    EXPECT_EQ(WireEndpoint::from(e).to_endpoint(), e);
    EXPECT_EQ(e.to_string(), "127.1.2.3:4222");
}

}  // namespace
}  // namespace elmo::wire
