// A server and a client TlsSession paired over memory: handshake, records both ways, the
// fingerprint the client sees, and what garbage does to a server.
#include <gtest/gtest.h>

#include "transport/tls_identity.hpp"
#include "transport/tls_session.hpp"

namespace elmo::transport {
namespace {

const PemIdentity& identity() {
    static const PemIdentity id = *generate_self_signed("test-node");
    return id;
}

struct Pair {
    std::unique_ptr<TlsSession> server, client;
    Pair() {
        auto sc = TlsCredentials::server(identity().certificate_pem, identity().private_key_pem);
        auto cc = TlsCredentials::client();
        EXPECT_TRUE(sc.ok() && cc.ok());
        server = TlsSession::create(TlsSession::Role::server, *sc).value();
        client = TlsSession::create(TlsSession::Role::client, *cc, "test-node").value();
    }
    // Shuttles ciphertext until neither side has output; returns false on an error.
    bool pump() {
        for (int i = 0; i < 20; ++i) {
            bool moved = false;
            if (client->has_output()) {
                server->feed(client->take_output());
                moved = true;
            }
            if (server->state() == TlsSession::State::handshaking && !server->handshake())
                return false;
            if (server->has_output()) {
                client->feed(server->take_output());
                moved = true;
            }
            if (client->state() == TlsSession::State::handshaking && !client->handshake())
                return false;
            if (!moved) return true;
        }
        return true;
    }
    bool handshake() {
        if (!client->handshake()) return false;
        return pump() && server->state() == TlsSession::State::established &&
               client->state() == TlsSession::State::established;
    }
};

TEST(TlsSession, HandshakeOverMemoryAndRecordsBothWays) {
    Pair p;
    ASSERT_TRUE(p.handshake());
    EXPECT_EQ(p.client->protocol_name(), "TLS1.3");
    // The client sees the node's certificate fingerprint, the one clients pin.
    auto expected = certificate_fingerprint(identity().certificate_pem);
    ASSERT_TRUE(expected.ok());
    ASSERT_TRUE(p.client->peer_fingerprint().has_value());
    EXPECT_EQ(*p.client->peer_fingerprint(), *expected);

    Bytes big(100'000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i);
    ASSERT_TRUE(p.client->write(big).ok());
    p.server->feed(p.client->take_output());
    Bytes got;
    auto r = p.server->read(got);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, TlsSession::State::established);
    EXPECT_EQ(got, big);

    ASSERT_TRUE(p.server->write(as_bytes("pong")).ok());
    p.client->feed(p.server->take_output());
    got.clear();
    ASSERT_TRUE(p.client->read(got).ok());
    EXPECT_EQ(got, Bytes({'p', 'o', 'n', 'g'}));
}

TEST(TlsSession, CiphertextFedOneByteAtATime) {
    Pair p;
    ASSERT_TRUE(p.handshake());
    ASSERT_TRUE(p.client->write(as_bytes("hello, node")).ok());
    Bytes wire = p.client->take_output();
    Bytes got;
    for (auto b : wire) {
        p.server->feed(ByteView(&b, 1));
        ASSERT_TRUE(p.server->read(got).ok());
    }
    EXPECT_EQ(std::string(got.begin(), got.end()), "hello, node");
}

TEST(TlsSession, CloseNotifyIsReadAsClosed) {
    Pair p;
    ASSERT_TRUE(p.handshake());
    p.client->close();
    p.server->feed(p.client->take_output());
    Bytes got;
    auto r = p.server->read(got);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, TlsSession::State::closed);
}

TEST(TlsSession, GarbageInsteadOfClientHelloFails) {
    Pair p;
    Bytes junk = {'G', 'E', 'T', ' ', '/', ' ',  'H',  'T',  'T',
                  'P', '/', '1', '.', '1', '\r', '\n', '\r', '\n'};
    p.server->feed(junk);
    auto r = p.server->handshake();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(p.server->state(), TlsSession::State::failed);
    EXPECT_FALSE(r.error().message.empty());
    // Further use stays an error, never a crash.
    Bytes got;
    EXPECT_FALSE(p.server->read(got).ok());
    EXPECT_FALSE(p.server->write(as_bytes("x")).ok());
}

TEST(TlsSession, TamperedRecordIsAnError) {
    Pair p;
    ASSERT_TRUE(p.handshake());
    ASSERT_TRUE(p.client->write(as_bytes("secret")).ok());
    Bytes wire = p.client->take_output();
    wire.back() ^= 1;
    p.server->feed(wire);
    Bytes got;
    EXPECT_FALSE(p.server->read(got).ok());
    EXPECT_TRUE(got.empty());
}

TEST(TlsSession, WriteBeforeHandshakeIsRefused) {
    Pair p;
    EXPECT_FALSE(p.client->write(as_bytes("early")).ok());
}

TEST(TlsIdentity, FingerprintTextRoundTrip) {
    auto fp = certificate_fingerprint(identity().certificate_pem);
    ASSERT_TRUE(fp.ok());
    std::string hex = fingerprint_hex(*fp);
    EXPECT_EQ(hex.size(), 64u);
    EXPECT_EQ(parse_fingerprint(hex), *fp);
    std::string colons;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        if (i) colons += ':';
        colons += static_cast<char>(std::toupper(hex[i]));
        colons += static_cast<char>(std::toupper(hex[i + 1]));
    }
    EXPECT_EQ(parse_fingerprint(colons), *fp);
    EXPECT_FALSE(parse_fingerprint(hex.substr(1)).has_value());
    EXPECT_FALSE(parse_fingerprint(hex + "0").has_value());
    EXPECT_FALSE(parse_fingerprint("zz" + hex.substr(2)).has_value());
    EXPECT_FALSE(parse_fingerprint(":" + colons).has_value());
    EXPECT_FALSE(parse_fingerprint("").has_value());
}

TEST(TlsIdentity, BadPemIsAMessage) {
    EXPECT_FALSE(certificate_fingerprint("not a certificate").ok());
    EXPECT_FALSE(TlsCredentials::server("junk", "junk").ok());
    // A key that does not belong to the certificate.
    auto other = generate_self_signed("other");
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(TlsCredentials::server(identity().certificate_pem, other->private_key_pem).ok());
}

TEST(TlsIdentity, FreshIdentitiesDiffer) {
    auto a = generate_self_signed("a");
    auto b = generate_self_signed("a");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(*certificate_fingerprint(a->certificate_pem),
              *certificate_fingerprint(b->certificate_pem));
}

}  // namespace
}  // namespace elmo::transport
