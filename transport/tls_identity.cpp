#include "transport/tls_identity.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <ctime>

namespace elmo::transport {
namespace {

std::string gnutls_message(std::string_view what, int rc) {
    return std::string(what) + ": " + gnutls_strerror(rc);
}

gnutls_datum_t datum(std::string_view s) {
    return gnutls_datum_t{reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())),
                          static_cast<unsigned>(s.size())};
}

// Frees what GnuTLS allocated on every path out of a function.
struct CrtGuard {
    gnutls_x509_crt_t crt = nullptr;
    ~CrtGuard() {
        if (crt) gnutls_x509_crt_deinit(crt);
    }
};
struct KeyGuard {
    gnutls_x509_privkey_t key = nullptr;
    ~KeyGuard() {
        if (key) gnutls_x509_privkey_deinit(key);
    }
};
struct DatumGuard {
    gnutls_datum_t d{nullptr, 0};
    ~DatumGuard() {
        if (d.data) gnutls_free(d.data);
    }
};

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string fingerprint_hex(const CertFingerprint& fp) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(64);
    for (auto b : fp) {
        s.push_back(digits[b >> 4]);
        s.push_back(digits[b & 15]);
    }
    return s;
}

std::optional<CertFingerprint> parse_fingerprint(std::string_view text) {
    CertFingerprint fp{};
    std::size_t n = 0;  // hex digits read
    bool colons = text.find(':') != std::string_view::npos;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == ':') {
            // Separators only between byte pairs.
            if (!colons || n == 0 || n % 2 != 0 || i + 1 == text.size() || text[i - 1] == ':')
                return std::nullopt;
            continue;
        }
        int d = hex_digit(c);
        if (d < 0 || n >= 64) return std::nullopt;
        if (colons && n % 2 == 0 && n > 0 && text[i - 1] != ':') return std::nullopt;
        fp[n / 2] = static_cast<std::uint8_t>(fp[n / 2] | (n % 2 ? d : d << 4));
        ++n;
    }
    if (n != 64) return std::nullopt;
    return fp;
}

CertFingerprint fingerprint_of_der(ByteView der) {
    CertFingerprint fp{};
    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data(), der.size(), fp.data());
    return fp;
}

Result<CertFingerprint, std::string> certificate_fingerprint(std::string_view cert_pem) {
    CrtGuard g;
    int rc = gnutls_x509_crt_init(&g.crt);
    if (rc < 0) return Err{gnutls_message("certificate", rc)};
    gnutls_datum_t pem = datum(cert_pem);
    rc = gnutls_x509_crt_import(g.crt, &pem, GNUTLS_X509_FMT_PEM);
    if (rc < 0) return Err{gnutls_message("certificate", rc)};
    DatumGuard der;
    rc = gnutls_x509_crt_export2(g.crt, GNUTLS_X509_FMT_DER, &der.d);
    if (rc < 0) return Err{gnutls_message("certificate", rc)};
    return fingerprint_of_der(ByteView(der.d.data, der.d.size));
}

Result<PemIdentity, std::string> generate_self_signed(std::string_view common_name,
                                                      int valid_days) {
    KeyGuard k;
    CrtGuard c;
    int rc = gnutls_x509_privkey_init(&k.key);
    if (rc >= 0)
        rc = gnutls_x509_privkey_generate(k.key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (rc < 0) return Err{gnutls_message("key generation", rc)};
    rc = gnutls_x509_crt_init(&c.crt);
    if (rc < 0) return Err{gnutls_message("certificate", rc)};

    // A random 16-byte serial, positive (top bit clear), as RFC 5280 asks.
    unsigned char serial[16];
    gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
    serial[0] &= 0x7f;
    std::time_t now = std::time(nullptr);
    std::string cn(common_name);
    if ((rc = gnutls_x509_crt_set_version(c.crt, 3)) < 0 ||
        (rc = gnutls_x509_crt_set_serial(c.crt, serial, sizeof serial)) < 0 ||
        (rc = gnutls_x509_crt_set_activation_time(c.crt, now - 3600)) < 0 ||
        (rc = gnutls_x509_crt_set_expiration_time(
             c.crt, now + static_cast<std::time_t>(valid_days) * 86400)) < 0 ||
        (rc = gnutls_x509_crt_set_dn_by_oid(c.crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn.data(),
                                            static_cast<unsigned>(cn.size()))) < 0 ||
        (rc = gnutls_x509_crt_set_key(c.crt, k.key)) < 0 ||
        (rc = gnutls_x509_crt_set_key_usage(c.crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
        (rc = gnutls_x509_crt_set_key_purpose_oid(c.crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
        (rc = gnutls_x509_crt_sign2(c.crt, c.crt, k.key, GNUTLS_DIG_SHA256, 0)) < 0)
        return Err{gnutls_message("certificate", rc)};

    DatumGuard cert_pem, key_pem;
    rc = gnutls_x509_crt_export2(c.crt, GNUTLS_X509_FMT_PEM, &cert_pem.d);
    if (rc >= 0) rc = gnutls_x509_privkey_export2(k.key, GNUTLS_X509_FMT_PEM, &key_pem.d);
    if (rc < 0) return Err{gnutls_message("export", rc)};
    return PemIdentity{std::string(reinterpret_cast<const char*>(cert_pem.d.data), cert_pem.d.size),
                       std::string(reinterpret_cast<const char*>(key_pem.d.data), key_pem.d.size)};
}

Result<std::shared_ptr<TlsCredentials>, std::string> TlsCredentials::server(
    std::string_view cert_pem, std::string_view key_pem) {
    auto fp = certificate_fingerprint(cert_pem);
    if (!fp) return Err{fp.error()};
    std::shared_ptr<TlsCredentials> c(new TlsCredentials());
    int rc = gnutls_certificate_allocate_credentials(&c->cred_);
    if (rc < 0) return Err{gnutls_message("credentials", rc)};
    gnutls_datum_t cert = datum(cert_pem), key = datum(key_pem);
    rc = gnutls_certificate_set_x509_key_mem(c->cred_, &cert, &key, GNUTLS_X509_FMT_PEM);
    if (rc < 0) return Err{gnutls_message("certificate and key", rc)};
    c->own_ = *fp;
    return c;
}

Result<std::shared_ptr<TlsCredentials>, std::string> TlsCredentials::client() {
    std::shared_ptr<TlsCredentials> c(new TlsCredentials());
    int rc = gnutls_certificate_allocate_credentials(&c->cred_);
    if (rc < 0) return Err{gnutls_message("credentials", rc)};
    return c;
}

TlsCredentials::~TlsCredentials() {
    if (cred_) gnutls_certificate_free_credentials(cred_);
}

}  // namespace elmo::transport
