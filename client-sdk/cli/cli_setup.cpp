#include "client-sdk/cli/cli_setup.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "transport/asio_endpoint.hpp"
#include "transport/tls_identity.hpp"
#include "wire/event.hpp"

namespace elmo::cli {
namespace {

Result<Endpoint, Failure> resolve(const std::string& text) {
    std::string host = text, port;
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return Err{Failure{exit_usage, "bad --node '" + text + "' (expected host:port)"}};
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos)
            return Err{Failure{exit_usage, "bad --node '" + text + "' (expected host:port)"}};
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    asio::io_context io;
    asio::ip::tcp::resolver r(io);
    asio::error_code ec;
    auto results = r.resolve(host, port, ec);
    if (ec || results.empty())
        return Err{
            Failure{exit_unreachable, "cannot resolve node '" + text + "': " + ec.message()}};
    return transport::from_asio(results.begin()->endpoint());
}

}  // namespace

Result<std::unique_ptr<sdk::Client>, Failure> open_client(const CliOptions& o) {
    sdk::ClientOptions co;
    for (const auto& n : o.nodes) {
        auto e = resolve(n);
        if (!e) return Err{e.error()};
        co.nodes.push_back(*e);
    }
    co.state_dir = o.state_dir;
    if (co.state_dir.empty())
        if (const char* env = std::getenv("ELMO_STATE_DIR"); env && *env) co.state_dir = env;
    if (!o.id.empty()) {
        if (o.id.size() > 32) return Err{Failure{exit_usage, "--id longer than 32 bytes"}};
        co.client_id.assign(o.id.begin(), o.id.end());
    }
    if (o.plain_tcp) {
        co.trust = client::TrustPolicy::plain_tcp();
    } else if (!o.pins.empty()) {
        std::vector<transport::CertFingerprint> pins;
        for (const auto& p : o.pins) {
            auto fp = transport::parse_fingerprint(p);
            if (!fp) return Err{Failure{exit_usage, "bad --pin '" + p + "' (64 hex digits)"}};
            pins.push_back(*fp);
        }
        co.trust = client::TrustPolicy::pinned(std::move(pins));
    } else {
        std::string file = o.tofu_file;
        if (file.empty() && !co.state_dir.empty()) file = (co.state_dir / "known_nodes").string();
        if (file.empty())
            return Err{Failure{exit_usage,
                               "no trust option: give --pin, --tofu FILE, --plain-tcp or "
                               "--state-dir (trust on first use in STATE_DIR/known_nodes)"}};
        if (!co.state_dir.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(co.state_dir, ec);
        }
        auto store = client::TofuStore::open(file);
        if (!store) return Err{Failure{exit_state, store.error()}};
        co.trust = client::TrustPolicy::trust_on_first_use(std::move(*store));
    }
    auto c = sdk::Client::open(std::move(co));
    if (!c) {
        bool state = c.error().find("state") != std::string::npos;
        return Err{Failure{state ? exit_state : exit_error, c.error()}};
    }
    return std::move(*c);
}

Result<Unit, Failure> wait_connected(sdk::Client& c, const CliOptions& o) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(o.connect_timeout_s));
    for (;;) {
        auto s = c.status();
        if (s.connected) return unit;
        if (std::chrono::steady_clock::now() >= deadline) {
            std::string why = s.last_error.empty() ? "no answer" : s.last_error;
            if (s.transport.trust_refused > 0)
                return Err{Failure{exit_trust, "node certificate refused: " + why}};
            return Err{Failure{exit_unreachable, "cannot reach any node: " + why}};
        }
        // A status round trip every 20 ms, until the deadline.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

Result<Unit, Failure> check_topic(const std::string& topic) {
    if (!wire::valid_topic(topic))
        return Err{Failure{exit_bad_input,
                           "bad topic '" + topic + "' (1 to 256 bytes, no control characters)"}};
    return unit;
}

std::string hex(const sdk::EventId& id) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (auto b : id) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

namespace {

void json_string(std::string& out, const std::string& s) {
    out.push_back('"');
    for (unsigned char ch : s) {
        if (ch == '"' || ch == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(ch));
        } else if (ch < 0x20 || ch == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", ch);
            out += buf;
        } else {
            out.push_back(static_cast<char>(ch));  // UTF-8 passes through as is
        }
    }
    out.push_back('"');
}

}  // namespace

std::string format_event(const sdk::Event& e, bool json, bool verbose) {
    std::string payload(e.payload.begin(), e.payload.end());
    if (!json) return verbose ? e.topic + " " + payload : payload;
    std::string out = "{\"topic\":";
    json_string(out, e.topic);
    out += ",\"id\":\"" + hex(e.id) + "\",\"publisher\":";
    json_string(out, std::string(e.publisher.begin(), e.publisher.end()));
    out += ",\"seq\":" + std::to_string(e.seq) +
           ",\"timestamp_ms\":" + std::to_string(e.timestamp_ms) + ",\"payload\":";
    json_string(out, payload);
    out += "}";
    return out;
}

}  // namespace elmo::cli
