#include "transport/tls_session.hpp"

#include <gnutls/gnutls.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace elmo::transport {
namespace {

// TLS 1.3 and 1.2 only, from GnuTLS's SECURE128 set (AEAD ciphers, forward-secret key exchange,
// no SHA-1 signatures); older protocol versions are refused.
constexpr const char* priority = "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";

// Plaintext is read in pieces of one maximum TLS record.
constexpr std::size_t read_piece = 16 * 1024;

// Compact the input buffer once this much of it is consumed.
constexpr std::size_t compact_after = 16 * 1024;

// Non-fatal results (warning alerts, ignored renegotiation requests) skipped in one call at
// most; more from one chunk of input is a peer playing games, and waits for the next call.
constexpr int max_nonfatal = 64;

}  // namespace

Result<std::unique_ptr<TlsSession>, TlsError> TlsSession::create(
    Role role, std::shared_ptr<const TlsCredentials> credentials, std::string_view server_name) {
    std::unique_ptr<TlsSession> s(new TlsSession(role, std::move(credentials)));
    unsigned flags = (role == Role::server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK |
                     GNUTLS_NO_SIGNAL | GNUTLS_NO_TICKETS;
    TlsError err;
    int rc = gnutls_init(&s->session_, flags);
    if (rc < 0) {
        s->session_ = nullptr;
        s->fail(rc, "init", err);
        return Err{err};
    }
    const char* err_pos = nullptr;
    rc = gnutls_priority_set_direct(s->session_, priority, &err_pos);
    if (rc >= 0)
        rc = gnutls_credentials_set(s->session_, GNUTLS_CRD_CERTIFICATE, s->creds_->native());
    if (rc >= 0 && role == Role::client && !server_name.empty())
        rc = gnutls_server_name_set(s->session_, GNUTLS_NAME_DNS, server_name.data(),
                                    server_name.size());
    if (rc < 0) {
        s->fail(rc, "setup", err);
        return Err{err};
    }
    gnutls_transport_set_ptr(s->session_, s.get());
    gnutls_transport_set_push_function(s->session_, &TlsSession::push);
    gnutls_transport_set_pull_function(s->session_, &TlsSession::pull);
    gnutls_transport_set_pull_timeout_function(s->session_, &TlsSession::pull_timeout);
    return s;
}

TlsSession::~TlsSession() {
    if (session_) gnutls_deinit(session_);
}

long TlsSession::push(void* self, const void* data, std::size_t size) {
    auto* s = static_cast<TlsSession*>(self);
    const auto* p = static_cast<const std::uint8_t*>(data);
    s->out_.insert(s->out_.end(), p, p + size);
    return static_cast<long>(size);
}

long TlsSession::pull(void* self, void* data, std::size_t size) {
    auto* s = static_cast<TlsSession*>(self);
    std::size_t avail = s->in_.size() - s->in_pos_;
    if (avail == 0) {
        gnutls_transport_set_errno(s->session_, EAGAIN);
        return -1;
    }
    std::size_t n = std::min(avail, size);
    std::memcpy(data, s->in_.data() + s->in_pos_, n);
    s->in_pos_ += n;
    if (s->in_pos_ == s->in_.size()) {
        s->in_.clear();
        s->in_pos_ = 0;
        // A burst must not pin a large buffer for the rest of the connection's life.
        if (s->in_.capacity() > 4 * read_piece) Bytes().swap(s->in_);
    }
    return static_cast<long>(n);
}

int TlsSession::pull_timeout(void* self, unsigned /*ms*/) {
    // Non-blocking: say whether input is there now; GnuTLS never waits on us.
    auto* s = static_cast<TlsSession*>(self);
    return s->in_.size() > s->in_pos_ ? 1 : 0;
}

void TlsSession::fail(int code, std::string_view what, TlsError& err) {
    state_ = State::failed;
    err.code = code;
    err.message = std::string(what) + ": " + gnutls_strerror(code);
}

void TlsSession::feed(ByteView ciphertext) {
    if (in_pos_ >= compact_after) {
        in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_pos_));
        in_pos_ = 0;
    }
    in_.insert(in_.end(), ciphertext.begin(), ciphertext.end());
}

Result<TlsSession::State, TlsError> TlsSession::handshake() {
    TlsError err;
    if (state_ == State::failed) {
        err.message = "handshake: session failed";
        return Err{err};
    }
    if (state_ != State::handshaking) return state_;
    for (int skipped = 0;;) {
        int rc = gnutls_handshake(session_);
        if (rc == GNUTLS_E_SUCCESS) break;
        if (rc == GNUTLS_E_AGAIN) return state_;
        if (rc == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal(rc)) {
            // A warning alert or similar: go on while there is input to consume.
            if (buffered_input() == 0 || ++skipped > max_nonfatal) return state_;
            continue;
        }
        // Tell the peer why, when it speaks TLS at all (best effort).
        gnutls_alert_send_appropriate(session_, rc);
        fail(rc, "handshake", err);
        return Err{err};
    }
    state_ = State::established;
    unsigned n = 0;
    const gnutls_datum_t* certs = gnutls_certificate_get_peers(session_, &n);
    if (certs && n > 0 &&
        gnutls_certificate_type_get2(session_, GNUTLS_CTYPE_PEERS) == GNUTLS_CRT_X509)
        peer_fp_ = fingerprint_of_der(ByteView(certs[0].data, certs[0].size));
    return state_;
}

Result<Unit, TlsError> TlsSession::write(ByteView plaintext) {
    TlsError err;
    if (state_ != State::established) {
        err.code = GNUTLS_E_INVALID_REQUEST;
        err.message = "write: session not established";
        return Err{err};
    }
    std::size_t pos = 0;
    while (pos < plaintext.size()) {
        // push() never blocks, so GnuTLS takes everything it is given, one record at a time.
        ssize_t rc = gnutls_record_send(session_, plaintext.data() + pos, plaintext.size() - pos);
        if (rc > 0) {
            pos += static_cast<std::size_t>(rc);
            continue;
        }
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) continue;
        fail(static_cast<int>(rc), "write", err);
        return Err{err};
    }
    return unit;
}

Result<TlsSession::State, TlsError> TlsSession::read(Bytes& out) {
    TlsError err;
    if (state_ == State::failed) {
        err.message = "read: session failed";
        return Err{err};
    }
    if (state_ != State::established) return state_;
    for (int skipped = 0;;) {
        std::size_t old = out.size();
        out.resize(old + read_piece);
        ssize_t rc = gnutls_record_recv(session_, out.data() + old, read_piece);
        out.resize(old + static_cast<std::size_t>(std::max<ssize_t>(rc, 0)));
        if (rc > 0) continue;
        if (rc == 0) {
            state_ = State::closed;
            return state_;
        }
        if (rc == GNUTLS_E_AGAIN) return state_;
        if (rc == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal(static_cast<int>(rc))) {
            // A warning alert, a TLS 1.2 renegotiation request (declined by ignoring it), a
            // post-handshake message: skip it while input remains.
            if (buffered_input() == 0 || ++skipped > max_nonfatal) return state_;
            continue;
        }
        fail(static_cast<int>(rc), "read", err);
        return Err{err};
    }
}

void TlsSession::close() {
    if (state_ != State::established) return;
    // Non-blocking: queues the alert and does not wait for the peer's.
    gnutls_bye(session_, GNUTLS_SHUT_WR);
}

Bytes TlsSession::take_output() {
    Bytes b = std::move(out_);
    out_.clear();
    return b;
}

std::string TlsSession::protocol_name() const {
    if (state_ == State::handshaking || !session_) return {};
    const char* n = gnutls_protocol_get_name(gnutls_protocol_get_version(session_));
    return n ? n : "";
}

}  // namespace elmo::transport
