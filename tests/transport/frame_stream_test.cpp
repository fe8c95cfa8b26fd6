// Framing on a byte stream: whole frames come out however the bytes are chunked, and a hostile
// length prefix is a typed error before anything is buffered.
#include <gtest/gtest.h>

#include <random>

#include "transport/frame_stream.hpp"

namespace elmo::transport {
namespace {

Bytes payload(std::size_t n, std::uint8_t seed) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
    return b;
}

std::vector<Bytes> feed_all(FrameDecoder& d, ByteView stream, std::size_t chunk) {
    std::vector<Bytes> out;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
        auto r = d.feed(stream.subspan(pos, std::min(chunk, stream.size() - pos)), [&](ByteView f) {
            out.emplace_back(f.begin(), f.end());
            return true;
        });
        EXPECT_TRUE(r.ok());
    }
    return out;
}

TEST(FrameStream, HeaderIsBigEndianLength) {
    auto f = encode_frame(payload(0x010203, 1));
    ASSERT_EQ(f.size(), 4u + 0x010203);
    EXPECT_EQ(f[0], 0x00);
    EXPECT_EQ(f[1], 0x01);
    EXPECT_EQ(f[2], 0x02);
    EXPECT_EQ(f[3], 0x03);
}

TEST(FrameStream, SplitAtEveryByteBoundary) {
    std::vector<Bytes> frames = {payload(1, 1), payload(300, 2), payload(5, 3), payload(70, 4)};
    Bytes stream;
    for (const auto& f : frames) append_frame(stream, f);
    // Two chunks, cut at every offset.
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        FrameDecoder d(1000);
        std::vector<Bytes> out;
        auto sink = [&](ByteView f) {
            out.emplace_back(f.begin(), f.end());
            return true;
        };
        ASSERT_TRUE(d.feed(ByteView(stream).first(cut), sink).ok());
        ASSERT_TRUE(d.feed(ByteView(stream).subspan(cut), sink).ok());
        ASSERT_EQ(out, frames) << "cut at " << cut;
        EXPECT_EQ(d.buffered(), 0u);
    }
    // Every chunk size, including one byte at a time.
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        FrameDecoder d(1000);
        ASSERT_EQ(feed_all(d, stream, chunk), frames) << "chunk " << chunk;
    }
}

TEST(FrameStream, OversizedPrefixIsAnErrorBeforeBuffering) {
    FrameDecoder d(100);
    Bytes stream;
    append_frame(stream, payload(100, 1));  // at the bound: fine
    auto h = frame_header(101);
    stream.insert(stream.end(), h.begin(), h.end());
    int frames = 0;
    auto r = d.feed(stream, [&](ByteView) { return ++frames, true; });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), FrameError::oversized);
    EXPECT_EQ(frames, 1);
    EXPECT_TRUE(d.failed());
    EXPECT_EQ(d.buffered(), 4u);  // the prefix only: the body was never reserved
    // Failed for good.
    auto again = d.feed(encode_frame(payload(3, 1)), [&](ByteView) { return ++frames, true; });
    EXPECT_FALSE(again.ok());
    EXPECT_EQ(frames, 1);
}

TEST(FrameStream, HugePrefixDoesNotAllocate) {
    FrameDecoder d(65'536);
    Bytes junk = {0xff, 0xff, 0xff, 0xff, 1, 2, 3};
    auto r = d.feed(junk, [](ByteView) { return true; });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), FrameError::oversized);
}

TEST(FrameStream, ZeroLengthIsAnError) {
    FrameDecoder d(100);
    Bytes zero = {0, 0, 0, 0};
    auto r = d.feed(zero, [](ByteView) { return true; });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), FrameError::empty);
}

TEST(FrameStream, SinkCanStopTheStream) {
    FrameDecoder d(100);
    Bytes stream;
    for (int i = 0; i < 3; ++i) append_frame(stream, payload(10, 1));
    int frames = 0;
    auto r = d.feed(stream, [&](ByteView) { return ++frames < 2; });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(frames, 2);
    EXPECT_TRUE(d.stopped());
    ASSERT_TRUE(d.feed(stream, [&](ByteView) { return ++frames, true; }).ok());
    EXPECT_EQ(frames, 2);
}

TEST(FrameStream, RandomJunkNeverCrashesAndStaysBounded) {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 2000; ++round) {
        FrameDecoder d(1024);
        std::size_t fed = 0;
        bool failed = false;
        for (int chunk = 0; chunk < 20 && !failed; ++chunk) {
            Bytes junk(rng() % 200);
            for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
            fed += junk.size();
            auto r = d.feed(junk, [](ByteView f) {
                EXPECT_GE(f.size(), 1u);
                EXPECT_LE(f.size(), 1024u);
                return true;
            });
            failed = !r.ok();
            EXPECT_LE(d.buffered(), 4u + 1024u);
        }
    }
}

}  // namespace
}  // namespace elmo::transport
