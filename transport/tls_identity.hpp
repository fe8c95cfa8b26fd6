#pragma once
// TLS identities and credentials for the client link (GnuTLS). A node has one key and one
// self-signed certificate; clients authenticate it by the certificate's SHA-256 fingerprint
// (pinning or trust on first use, docs/client-transport.md), not by a CA, so client credentials
// carry no trust store and verification happens after the handshake on the fingerprint.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/result.hpp"

typedef struct gnutls_certificate_credentials_st* gnutls_certificate_credentials_t;

namespace elmo::transport {

// SHA-256 of a certificate's DER encoding.
using CertFingerprint = std::array<std::uint8_t, 32>;
std::string fingerprint_hex(const CertFingerprint& fp);  // 64 lowercase hex digits
// Accepts 64 hex digits, either case, optionally separated by ':' (as `openssl x509
// -fingerprint` prints them). Anything else: nullopt.
std::optional<CertFingerprint> parse_fingerprint(std::string_view text);
CertFingerprint fingerprint_of_der(ByteView der);
// The fingerprint of the first certificate in a PEM string.
Result<CertFingerprint, std::string> certificate_fingerprint(std::string_view cert_pem);

struct PemIdentity {
    std::string certificate_pem;
    std::string private_key_pem;
};
// A fresh ECDSA P-256 key and a self-signed certificate for it (CN = common_name, valid for
// `valid_days` from now). Keys come from GnuTLS's CSPRNG: key material is the one kind of
// randomness that must not be seeded.
Result<PemIdentity, std::string> generate_self_signed(std::string_view common_name,
                                                      int valid_days = 3650);

// Certificate credentials shared by many sessions (one per listener, one for any number of
// clients). Immutable once built.
class TlsCredentials {
  public:
    // The node's side: its certificate and key.
    static Result<std::shared_ptr<TlsCredentials>, std::string> server(std::string_view cert_pem,
                                                                       std::string_view key_pem);
    // The client's side: no certificate of its own, no trust store.
    static Result<std::shared_ptr<TlsCredentials>, std::string> client();
    ~TlsCredentials();
    TlsCredentials(const TlsCredentials&) = delete;
    TlsCredentials& operator=(const TlsCredentials&) = delete;

    gnutls_certificate_credentials_t native() const { return cred_; }
    bool is_server() const { return own_.has_value(); }
    // The server's own certificate fingerprint (what clients pin).
    const std::optional<CertFingerprint>& own_fingerprint() const { return own_; }

  private:
    TlsCredentials() = default;
    gnutls_certificate_credentials_t cred_ = nullptr;
    std::optional<CertFingerprint> own_;
};

}  // namespace elmo::transport
