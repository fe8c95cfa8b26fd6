// The event's id is its content hash: any change to the content is detected on decode.
#include <gtest/gtest.h>

#include "test_messages.hpp"
#include "wire/codec.hpp"

namespace elmo::wire {
namespace {

using test::sample_event;

TEST(WireEvent, IdIsStableAndDependsOnEveryContentField) {
    Event e = sample_event();
    EXPECT_EQ(e.id, e.content_id());
    // A fixed golden id: a change of hash or field order would silently split the network.
    EXPECT_EQ(to_hex(e.id), "335ca3222c179108fcdc58303a41cefa7b3db07a91c9a1c62487df5403a57a8b");
    std::vector<Event> variants(6, e);
    variants[0].topic = "higgs2";
    variants[1].publisher.push_back(9);
    variants[2].seq += 1;
    variants[3].timestamp_ms += 1;
    variants[4].expiry_ms += 1;
    variants[5].payload.push_back(0);
    for (auto& v : variants) EXPECT_NE(v.content_id(), e.id);
    Event s = e;
    s.signature.clear();
    EXPECT_EQ(s.content_id(), e.id) << "the signature is not part of the id";
}

TEST(WireEvent, PartBoundariesAreUnambiguous) {
    Event a = sample_event();
    Event b = a;
    a.topic = "ab";
    a.payload = Bytes{'c'};
    b.topic = "a";
    b.payload = Bytes{'b', 'c'};
    EXPECT_NE(a.content_id(), b.content_id());
}

TEST(WireEvent, TamperedContentIsAnIdMismatch) {
    Event e = sample_event();
    e.payload[0] ^= 1;  // content changed, id kept
    auto r = decode(encode(EventPush{e}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::id_mismatch);
}

TEST(WireEvent, ExpiryBeforeTimestampIsInvalid) {
    Event e = sample_event();
    e.expiry_ms = e.timestamp_ms - 1;
    e.seal();
    auto r = decode(encode(EventPush{e}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::invalid_value);
    EXPECT_STREQ(r.error().what, "event.expiry");
}

TEST(WireEvent, TopicRules) {
    EXPECT_TRUE(valid_topic("higgs"));
    EXPECT_TRUE(valid_topic("utf8 \xc3\xa9t\xc3\xa9"));
    EXPECT_FALSE(valid_topic(""));
    EXPECT_FALSE(valid_topic("new\nline"));
    EXPECT_FALSE(valid_topic(std::string(limits::max_topic_bytes + 1, 'a')));
    Event e = sample_event();
    e.topic = "";
    e.seal();
    auto r = decode(encode(EventPush{e}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, DecodeErrorCode::invalid_value);
}

TEST(WireEvent, WrongIdLengthRejected) {
    Event e = sample_event();
    auto bytes = encode(EventPush{e});
    // The id is the first bin field: bin8 marker 0xc4, length 32. Make it claim 31.
    auto it = std::search(bytes.begin(), bytes.end(), e.id.begin(), e.id.end());
    ASSERT_NE(it, bytes.end());
    ASSERT_EQ(*(it - 1), 32);
    *(it - 1) = 31;
    auto r = decode(bytes);
    ASSERT_FALSE(r.ok());
}

}  // namespace
}  // namespace elmo::wire
