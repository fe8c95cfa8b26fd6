#pragma once
// How the client driver authenticates the node it connects to (docs/client-transport.md). Nodes
// have self-signed certificates, so a node is known by its certificate's SHA-256 fingerprint:
// - pinned: the fingerprints of the cluster's nodes are given (configuration, QR code, ...); any
//   other certificate is refused.
// - trust on first use: the first fingerprint seen at a host:port is remembered in a small file
//   (TofuStore) and a different one later is refused with a clear error and counted.
// - plain_tcp: no TLS at all; local benchmarks only (the node must run with --plain-tcp).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "transport/tls_identity.hpp"

namespace elmo::client {

// Known node fingerprints by "host:port", one "host:port sha256-hex" line each in a file the
// caller names. Shared by any number of clients of one thread (not thread-safe). Bounded: at
// most max_entries nodes (a client knows at most 32); a new node beyond that is refused rather
// than trusted unremembered (counted in refused_full).
class TofuStore {
  public:
    enum class Verdict : std::uint8_t {
        known,     // the remembered fingerprint: trusted
        learned,   // first use: remembered now, trusted
        mismatch,  // a different fingerprint than remembered: refused
        full,      // a new node and no room to remember it: refused
    };

    // Reads `path` if it exists (a missing file is an empty store; lines that do not parse are
    // skipped and counted). An unreadable existing file is an error.
    static Result<std::shared_ptr<TofuStore>, std::string> open(std::string path,
                                                                std::size_t max_entries = 1024);

    // Decides about `fingerprint` presented at `host_port`, learning it on first use. A learned
    // entry is written at once (temporary file + rename); if writing fails it is still trusted
    // for this run, and write_errors / last_write_error say why.
    Verdict check(const std::string& host_port, const transport::CertFingerprint& fingerprint);
    std::optional<transport::CertFingerprint> lookup(const std::string& host_port) const;
    // The user accepted a node's new certificate: the next connection learns it again.
    bool forget(const std::string& host_port);

    const std::string& path() const { return path_; }
    std::size_t size() const { return known_.size(); }
    std::size_t skipped_lines() const { return skipped_lines_; }
    std::uint64_t mismatches() const { return mismatches_; }
    std::uint64_t refused_full() const { return refused_full_; }
    std::uint64_t write_errors() const { return write_errors_; }
    const std::string& last_write_error() const { return last_write_error_; }

  private:
    TofuStore(std::string path, std::size_t max_entries)
        : path_(std::move(path)), max_entries_(max_entries) {}
    bool save();

    std::string path_;
    std::size_t max_entries_;
    std::map<std::string, transport::CertFingerprint> known_;  // ordered: a stable file
    std::size_t skipped_lines_ = 0;
    std::uint64_t mismatches_ = 0, refused_full_ = 0, write_errors_ = 0;
    std::string last_write_error_;
};

struct TrustPolicy {
    enum class Mode : std::uint8_t { pinned, trust_on_first_use, plain_tcp };
    Mode mode = Mode::pinned;
    std::vector<transport::CertFingerprint> pins;  // pinned: every node's fingerprint
    std::shared_ptr<TofuStore> tofu;               // trust_on_first_use

    static TrustPolicy pinned(std::vector<transport::CertFingerprint> fingerprints) {
        return {Mode::pinned, std::move(fingerprints), nullptr};
    }
    static TrustPolicy trust_on_first_use(std::shared_ptr<TofuStore> store) {
        return {Mode::trust_on_first_use, {}, std::move(store)};
    }
    static TrustPolicy plain_tcp() { return {Mode::plain_tcp, {}, nullptr}; }

    // Whether the certificate `fingerprint` presented by the node at `host_port` is accepted;
    // the error says why not, for the app's log.
    Result<Unit, std::string> verify(const std::string& host_port,
                                     const std::optional<transport::CertFingerprint>& fingerprint);
};

}  // namespace elmo::client
