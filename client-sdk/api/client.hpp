#pragma once
// The phone SDK's C++ API (docs/client-sdk.md): one elmo::sdk::Client per app, connected to a
// home node chosen from a list, with its state persisted in a directory the app gives.
//
//   sdk::ClientOptions o;
//   o.nodes = {Endpoint::v4(0x0a000001, 4222)};
//   o.trust = client::TrustPolicy::pinned({fingerprint});
//   o.state_dir = app_files_dir / "elmo";
//   auto client = sdk::Client::open(o).value();
//   client->subscribe("news", [](const sdk::Event& e) { show(e.payload); });
//   client->start();
//   auto id = client->publish("news", bytes, [](const wire::EventId&, sdk::PublishOutcome o) {});
//   client->set_background(true);   // app paused: only the poll period wakes the radio
//
// Threading model. The Client owns one thread running an asio::io_context; the core, the
// connection and the store live on it and nothing else touches them. Every API call may come
// from any thread: it is posted to that thread (subscribe, unsubscribe, poll_now, ...) or, for
// the calls that return something (publish, status), posted and waited for. Callbacks (events,
// publish completions, connectivity, errors) run on that thread, never on the caller's stack
// and never while a lock of the Client is held, so a callback may call any API function (it
// then runs inline) without deadlock. The only things a callback must not do are block for long
// (it holds up the connection) and destroy the Client (the destructor joins the thread).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client-sdk/client_core.hpp"
#include "client-sdk/client_params.hpp"
#include "client-sdk/client_stats.hpp"
#include "client-sdk/driver/asio_client.hpp"
#include "client-sdk/driver/trust_policy.hpp"
#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/result.hpp"
#include "wire/event.hpp"

namespace elmo::sdk {

using Event = wire::Event;
using EventId = wire::EventId;
using PublishOutcome = ClientCore::PublishOutcome;  // accepted, failed_invalid

enum class PublishError : std::uint8_t {
    invalid_topic,      // empty, over 256 bytes or with control characters
    payload_too_large,  // over wire::limits::max_payload_bytes (16 KiB)
    outbox_full,        // max_outbox publications not yet acknowledged
    closed,             // the Client was closed
};
const char* to_string(PublishError e);

struct ClientOptions {
    std::vector<Endpoint> nodes;  // nodes' client ports; the core also learns mailbox nodes
    client::TrustPolicy trust;    // pinned (default, needs pins), TOFU or plain TCP
    // Where the state lives (created if missing, one process at a time). Empty: nothing is
    // persisted (tests, one-shot tools).
    std::filesystem::path state_dir;
    // 1..32 bytes. Empty: the one stored in state_dir, else a new random one (then stored). A
    // different id than the stored one is an error: the outbox is signed with the stored one.
    Bytes client_id;
    ClientParams params;
    std::uint64_t seed = 0;  // backoff jitter and node choice; 0: from std::random_device
    // Keep-alive while in the foreground (a dead connection found within about this plus the
    // request timeout); off in the background, where each wake-up costs battery.
    Duration foreground_keepalive = std::chrono::seconds(60);
};

struct ClientStatus {
    bool started = false, connected = false, background = false, network = true;
    std::optional<Endpoint> home;
    Bytes client_id;
    std::vector<std::string> topics;      // subscribed
    std::vector<std::string> registered;  // ... with a live registration
    std::size_t polls_in_flight = 0;      // topics with a poll awaiting its answer
    std::size_t outbox = 0;               // publications not yet acknowledged
    std::uint64_t next_seq = 0;
    std::size_t known_nodes = 0;
    ClientStats core;
    client::AsioClientStats transport;
    std::uint64_t events_without_handler = 0;  // delivered for a topic with no handler: dropped
    std::uint64_t store_syncs = 0, store_errors = 0;
    std::string last_error;
};

class Client {
  public:
    using EventHandler = std::function<void(const Event&)>;
    using PublishCompletion = std::function<void(const EventId&, PublishOutcome)>;
    using ConnectionHandler = std::function<void(bool connected)>;
    using ErrorHandler = std::function<void(const std::string&)>;

    // Opens the state directory, restores what a previous process left (subscriptions, outbox,
    // seen ids, nodes) and starts the thread; nothing touches the network before start().
    static Result<std::unique_ptr<Client>, std::string> open(ClientOptions options);
    ~Client();  // close(); never from a callback
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Connects (the core reconnects, backs off and fails over by itself from then on). Set the
    // handlers of restored subscriptions before: their events may come at once.
    void start();
    // Subscribes (persisted) and sets the topic's handler; for a subscription restored from the
    // state directory, sets the handler only. Each event of the topic is handed to it once.
    void subscribe(const std::string& topic, EventHandler handler);
    void unsubscribe(const std::string& topic);
    // Queues `payload` for `topic` and returns its id once the publication is durable in the
    // outbox (a kill -9 after this returns does not lose it), or why it was refused (`done` is
    // then not called). `done` runs once when a mailbox stored it (accepted) or the network
    // refused it as malformed (failed_invalid); publications restored after a restart report to
    // the publish handler only.
    Result<EventId, PublishError> publish(const std::string& topic, Bytes payload,
                                          PublishCompletion done = {});
    // Polls every subscribed topic now (e.g. on a push notification).
    void poll_now();
    // The phone's network changed (available) or went away (!available). The socket is presumed
    // dead: the client reconnects at once, without backoff, and polls.
    void on_connectivity_changed(bool available = true);
    // Background: no keep-alive, and when disconnected no reconnection attempts but one per
    // poll period (connect, renew, poll, flush the outbox). Foreground again: one burst
    // (reconnect if needed, poll every topic, flush the outbox), keep-alive back on.
    void set_background(bool background);

    // Handlers: set them before start() or from any thread later (posted).
    // Events of subscribed topics without a handler of their own (e.g. restored subscriptions).
    void set_default_event_handler(EventHandler h);
    // Every publication outcome, restored ones included (after the per-publication `done`).
    void set_publish_handler(PublishCompletion h);
    void set_connection_handler(ConnectionHandler h);
    void set_error_handler(ErrorHandler h);  // connection failures, store errors, in words

    ClientStatus status() const;
    // Syncs the state, closes the connection, stops the thread. No callback runs afterwards.
    void close();

  private:
    struct Impl;
    explicit Client(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace elmo::sdk
