#pragma once
// A sans-IO GnuTLS session over memory buffers: the driver feeds the ciphertext it read from the
// socket, takes the ciphertext to write, and reads and writes plaintext. GnuTLS never touches a
// socket (custom push/pull functions), so the same class serves the daemon's listener, the
// client driver and tests that pair two sessions in memory. TLS 1.3, or 1.2 with forward-secret
// AEAD suites (priority string in tls_session.cpp). Not thread-safe; one owner.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "transport/tls_identity.hpp"

typedef struct gnutls_session_int* gnutls_session_t;

namespace elmo::transport {

struct TlsError {
    int code = 0;         // the GnuTLS error code
    std::string message;  // gnutls_strerror, with what was being done
};

class TlsSession {
  public:
    enum class Role : std::uint8_t { server, client };
    enum class State : std::uint8_t {
        handshaking,  // feed more input (and send the output first)
        established,  // records flow both ways
        closed,       // the peer sent close_notify
        failed,       // a fatal error; the session is unusable
    };

    // `server_name` (client role, optional): sent as SNI unless empty.
    static Result<std::unique_ptr<TlsSession>, TlsError> create(
        Role role, std::shared_ptr<const TlsCredentials> credentials,
        std::string_view server_name = {});
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    // Ciphertext from the peer, consumed by handshake() and read().
    void feed(ByteView ciphertext);
    // Advances the handshake as far as the input allows (the client's first call produces its
    // ClientHello). Returns handshaking, established, or the fatal error (state() is failed; an
    // alert for the peer may be in the output).
    Result<State, TlsError> handshake();
    // Encrypts plaintext into the output; only when established.
    Result<Unit, TlsError> write(ByteView plaintext);
    // Decrypts every whole record fed so far, appending the plaintext to `out`. Returns
    // established (more may come) or closed (close_notify received), or a fatal error.
    Result<State, TlsError> read(Bytes& out);
    // Queues a close_notify alert (established only; otherwise nothing).
    void close();

    // Ciphertext for the peer, moved out.
    Bytes take_output();
    bool has_output() const { return !out_.empty(); }
    std::size_t buffered_input() const { return in_.size() - in_pos_; }

    State state() const { return state_; }
    Role role() const { return role_; }
    // The peer's certificate fingerprint once established (the client's view of the node).
    const std::optional<CertFingerprint>& peer_fingerprint() const { return peer_fp_; }
    std::string protocol_name() const;  // "TLS1.3", ... once established

  private:
    TlsSession(Role role, std::shared_ptr<const TlsCredentials> creds)
        : role_(role), creds_(std::move(creds)) {}
    static long push(void* self, const void* data, std::size_t size);
    static long pull(void* self, void* data, std::size_t size);
    static int pull_timeout(void* self, unsigned ms);
    void fail(int code, std::string_view what, TlsError& err);

    Role role_;
    std::shared_ptr<const TlsCredentials> creds_;  // outlives the session
    gnutls_session_t session_ = nullptr;
    State state_ = State::handshaking;
    Bytes in_;  // ciphertext fed, not yet consumed from in_pos_
    std::size_t in_pos_ = 0;
    Bytes out_;  // ciphertext produced
    std::optional<CertFingerprint> peer_fp_;
};

}  // namespace elmo::transport
