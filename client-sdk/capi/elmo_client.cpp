// The C API over elmo::sdk::Client (elmo_client.h). Nothing throws across the boundary: every
// entry point catches, and a failure becomes a status code.
#include "client-sdk/capi/elmo_client.h"

#include <asio/ip/address.hpp>
#include <cstring>
#include <memory>
#include <string>

#include "client-sdk/api/client.hpp"
#include "transport/tls_identity.hpp"

struct elmo_options {
    std::vector<elmo::Endpoint> nodes;
    std::string state_dir, client_id, tofu_file;
    std::vector<elmo::transport::CertFingerprint> pins;
    bool plain_tcp = false;
};

struct elmo_client {
    std::unique_ptr<elmo::sdk::Client> client;
};

namespace {

using elmo::sdk::Client;

elmo_event to_c(const elmo::sdk::Event& e) {
    return elmo_event{e.topic.data(),     e.topic.size(), e.payload.data(),
                      e.payload.size(),   e.id.data(),    e.publisher.data(),
                      e.publisher.size(), e.seq,          e.timestamp_ms};
}

Client::EventHandler event_handler(elmo_event_cb cb, void* user) {
    if (!cb) return {};
    return [cb, user](const elmo::sdk::Event& e) {
        elmo_event ce = to_c(e);
        cb(user, &ce);
    };
}

Client::PublishCompletion publish_handler(elmo_publish_cb cb, void* user) {
    if (!cb) return {};
    return [cb, user](const elmo::sdk::EventId& id, elmo::sdk::PublishOutcome o) {
        cb(user, id.data(),
           o == elmo::sdk::PublishOutcome::accepted ? ELMO_PUBLISH_ACCEPTED
                                                    : ELMO_PUBLISH_FAILED_INVALID);
    };
}

std::optional<elmo::Endpoint> parse_node(const std::string& text) {
    std::string host, port;
    if (!text.empty() && text[0] == '[') {
        auto close = text.find("]:");
        if (close == std::string::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    asio::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec || port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    unsigned long p = std::stoul(port);
    if (p == 0 || p > 65535) return std::nullopt;
    elmo::Endpoint e;
    e.port = static_cast<std::uint16_t>(p);
    if (addr.is_v4()) return elmo::Endpoint::v4(addr.to_v4().to_uint(), e.port);
    e.family = elmo::Endpoint::Family::v6;
    auto b = addr.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), e.addr.begin());
    return e;
}

void copy_error(const std::string& msg, char* out, size_t len) {
    if (!out || len == 0) return;
    std::size_t n = std::min(msg.size(), len - 1);
    std::memcpy(out, msg.data(), n);
    out[n] = '\0';
}

}  // namespace

extern "C" {

elmo_options* elmo_options_new(void) {
    try {
        return new elmo_options();
    } catch (...) {
        return nullptr;
    }
}

void elmo_options_free(elmo_options* o) {
    delete o;
}

elmo_status elmo_options_add_node(elmo_options* o, const char* host_port) {
    if (!o || !host_port) return ELMO_ERR_ARGUMENT;
    auto e = parse_node(host_port);
    if (!e) return ELMO_ERR_ARGUMENT;
    o->nodes.push_back(*e);
    return ELMO_OK;
}

elmo_status elmo_options_set_state_dir(elmo_options* o, const char* dir) {
    if (!o || !dir) return ELMO_ERR_ARGUMENT;
    o->state_dir = dir;
    return ELMO_OK;
}

elmo_status elmo_options_set_client_id(elmo_options* o, const char* id) {
    if (!o || !id) return ELMO_ERR_ARGUMENT;
    std::size_t n = std::strlen(id);
    if (n == 0 || n > 32) return ELMO_ERR_ARGUMENT;
    o->client_id = id;
    return ELMO_OK;
}

elmo_status elmo_options_add_pin(elmo_options* o, const char* sha256_hex) {
    if (!o || !sha256_hex) return ELMO_ERR_ARGUMENT;
    auto fp = elmo::transport::parse_fingerprint(sha256_hex);
    if (!fp) return ELMO_ERR_ARGUMENT;
    o->pins.push_back(*fp);
    return ELMO_OK;
}

elmo_status elmo_options_set_tofu_file(elmo_options* o, const char* path) {
    if (!o || !path) return ELMO_ERR_ARGUMENT;
    o->tofu_file = path;
    return ELMO_OK;
}

void elmo_options_set_plain_tcp(elmo_options* o, int plain) {
    if (o) o->plain_tcp = plain != 0;
}

elmo_status elmo_client_open(const elmo_options* o, elmo_client** out, char* error,
                             size_t error_len) {
    if (!o || !out) return ELMO_ERR_ARGUMENT;
    *out = nullptr;
    try {
        elmo::sdk::ClientOptions co;
        co.nodes = o->nodes;
        co.state_dir = o->state_dir;
        co.client_id.assign(o->client_id.begin(), o->client_id.end());
        if (o->plain_tcp) {
            co.trust = elmo::client::TrustPolicy::plain_tcp();
        } else if (!o->tofu_file.empty()) {
            auto store = elmo::client::TofuStore::open(o->tofu_file);
            if (!store) {
                copy_error(store.error(), error, error_len);
                return ELMO_ERR_OPEN;
            }
            co.trust = elmo::client::TrustPolicy::trust_on_first_use(std::move(*store));
        } else {
            co.trust = elmo::client::TrustPolicy::pinned(o->pins);
        }
        auto c = Client::open(std::move(co));
        if (!c) {
            copy_error(c.error(), error, error_len);
            return ELMO_ERR_OPEN;
        }
        *out = new elmo_client{std::move(*c)};
        return ELMO_OK;
    } catch (const std::exception& e) {
        copy_error(e.what(), error, error_len);
        return ELMO_ERR_OPEN;
    }
}

void elmo_client_close(elmo_client* c) {
    if (!c) return;
    c->client->close();
    delete c;
}

void elmo_client_start(elmo_client* c) {
    if (c) c->client->start();
}

elmo_status elmo_client_subscribe(elmo_client* c, const char* topic, elmo_event_cb cb, void* user) {
    if (!c || !topic) return ELMO_ERR_ARGUMENT;
    if (!elmo::wire::valid_topic(topic)) return ELMO_ERR_INVALID_TOPIC;
    c->client->subscribe(topic, event_handler(cb, user));
    return ELMO_OK;
}

void elmo_client_unsubscribe(elmo_client* c, const char* topic) {
    if (c && topic) c->client->unsubscribe(topic);
}

elmo_status elmo_client_publish(elmo_client* c, const char* topic, const uint8_t* payload,
                                size_t payload_len, elmo_publish_cb cb, void* user,
                                uint8_t* out_id) {
    if (!c || !topic || (!payload && payload_len > 0)) return ELMO_ERR_ARGUMENT;
    elmo::Bytes bytes(payload, payload + payload_len);
    auto id = c->client->publish(topic, std::move(bytes), publish_handler(cb, user));
    if (!id) {
        switch (id.error()) {
            case elmo::sdk::PublishError::invalid_topic:
                return ELMO_ERR_INVALID_TOPIC;
            case elmo::sdk::PublishError::payload_too_large:
                return ELMO_ERR_PAYLOAD_TOO_LARGE;
            case elmo::sdk::PublishError::outbox_full:
                return ELMO_ERR_OUTBOX_FULL;
            case elmo::sdk::PublishError::closed:
                return ELMO_ERR_CLOSED;
        }
    }
    if (out_id) std::memcpy(out_id, id->data(), ELMO_EVENT_ID_BYTES);
    return ELMO_OK;
}

void elmo_client_poll_now(elmo_client* c) {
    if (c) c->client->poll_now();
}

void elmo_client_connectivity_changed(elmo_client* c, int available) {
    if (c) c->client->on_connectivity_changed(available != 0);
}

void elmo_client_set_background(elmo_client* c, int background) {
    if (c) c->client->set_background(background != 0);
}

void elmo_client_set_default_event_handler(elmo_client* c, elmo_event_cb cb, void* user) {
    if (c) c->client->set_default_event_handler(event_handler(cb, user));
}

void elmo_client_set_publish_handler(elmo_client* c, elmo_publish_cb cb, void* user) {
    if (c) c->client->set_publish_handler(publish_handler(cb, user));
}

void elmo_client_set_connection_handler(elmo_client* c, elmo_connection_cb cb, void* user) {
    if (!c) return;
    if (!cb) return c->client->set_connection_handler({});
    c->client->set_connection_handler([cb, user](bool up) { cb(user, up ? 1 : 0); });
}

void elmo_client_set_error_handler(elmo_client* c, elmo_error_cb cb, void* user) {
    if (!c) return;
    if (!cb) return c->client->set_error_handler({});
    c->client->set_error_handler([cb, user](const std::string& m) { cb(user, m.c_str()); });
}

void elmo_client_get_status(elmo_client* c, elmo_client_status* out) {
    if (!c || !out) return;
    auto s = c->client->status();
    out->connected = s.connected;
    out->background = s.background;
    out->topics = s.topics.size();
    out->registered = s.registered.size();
    out->outbox = s.outbox;
    out->next_seq = s.next_seq;
    out->events_delivered = s.core.events_delivered;
    out->exchanges_started = s.core.exchanges_started;
}

const char* elmo_status_string(elmo_status s) {
    switch (s) {
        case ELMO_OK:
            return "ok";
        case ELMO_ERR_ARGUMENT:
            return "bad argument";
        case ELMO_ERR_INVALID_TOPIC:
            return "invalid topic";
        case ELMO_ERR_PAYLOAD_TOO_LARGE:
            return "payload too large";
        case ELMO_ERR_OUTBOX_FULL:
            return "outbox full";
        case ELMO_ERR_CLOSED:
            return "client closed";
        case ELMO_ERR_OPEN:
            return "cannot open the client";
    }
    return "unknown status";
}

}  // extern "C"
