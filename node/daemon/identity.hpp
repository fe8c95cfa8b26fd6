#pragma once
// The node's identity: a private key and a self-signed certificate, generated on first start and
// kept in the data directory (node.key, mode 0600, and node.crt, both PEM). The node's DHT id is
// the certificate's public-key id (OpenDHT's InfoHash of the key), so it survives a restart with
// nothing else stored; the journal's node_identity record lets the daemon check that the journal
// belongs to this key. The PEM strings are what the TLS client listener serves.
#include <filesystem>
#include <string>

#include "common/node_id.hpp"
#include "common/result.hpp"

namespace elmo::daemon {

struct NodeIdentityFiles {
    std::string certificate_pem;
    std::string private_key_pem;
    NodeId id{};
    bool created = false;  // generated now (first start)
};

// Loads the identity from `dir`, generating it if there is none. A key without its certificate
// (a first start cut between the two writes) gets a new certificate for the same key. An
// unreadable or mismatched pair is an error, never silently replaced: replacing it would give
// the node a new id and orphan its journal.
Result<NodeIdentityFiles, std::string> load_or_create_identity(const std::filesystem::path& dir);

}  // namespace elmo::daemon
