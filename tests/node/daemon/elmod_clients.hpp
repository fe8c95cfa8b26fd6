#pragma once
// Real clients (the asio/TLS client driver) for multi-process elmod tests: one io_context run by
// the test thread, pinned node certificates read from the nodes' data dirs, and per-client sets
// of the events received and of the publications accepted.
#include <asio/io_context.hpp>

#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "client-sdk/driver/asio_client.hpp"
#include "elmod_harness.hpp"
#include "transport/tls_identity.hpp"

namespace elmo::daemon::test {

// Runs the clients' io_context until `ok` or the timeout (the loop works while it waits).
inline bool run_until(asio::io_context& io, std::chrono::milliseconds timeout,
                      const std::function<bool()>& ok) {
    return poll_until(
        timeout,
        [&] {
            io.restart();
            io.run_for(20ms);
            return ok();
        },
        0ms);
}

inline transport::CertFingerprint fingerprint(const NodeSpec& n) {
    std::ifstream in(n.data_dir / "node.crt");
    std::stringstream s;
    s << in.rdbuf();
    auto fp = transport::certificate_fingerprint(s.str());
    return fp.ok() ? *fp : transport::CertFingerprint{};
}

struct TestClient {
    std::unique_ptr<client::AsioClient> client;
    std::set<wire::EventId> received;
    std::uint64_t duplicates = 0;  // the event handler saw an id twice
    std::set<wire::EventId> accepted;
};

// A started client; `homes` are the nodes it may connect to, first preferred.
inline std::unique_ptr<TestClient> make_client(
    asio::io_context& io, const std::string& id, const std::vector<NodeSpec>& homes,
    const std::vector<transport::CertFingerprint>& pins,
    std::shared_ptr<const transport::TlsCredentials> credentials = nullptr) {
    auto c = std::make_unique<TestClient>();
    client::AsioClientConfig cfg;
    cfg.client_id = Bytes(id.begin(), id.end());
    for (const auto& h : homes) cfg.bootstrap.push_back(Endpoint::v4(0x7f000001, h.client_port));
    cfg.trust = client::TrustPolicy::pinned(pins);
    cfg.seed = std::hash<std::string>{}(id);
    cfg.credentials = std::move(credentials);
    auto created = client::AsioClient::create(io, cfg);
    if (!created.ok()) return nullptr;
    c->client = std::move(*created);
    TestClient* raw = c.get();
    c->client->set_event_handler([raw](const wire::Event& e) {
        if (!raw->received.insert(e.id).second) ++raw->duplicates;
    });
    c->client->set_publish_handler([raw](const wire::EventId& e, ClientCore::PublishOutcome o) {
        if (o == ClientCore::PublishOutcome::accepted) raw->accepted.insert(e);
    });
    c->client->start();
    return c;
}

}  // namespace elmo::daemon::test
