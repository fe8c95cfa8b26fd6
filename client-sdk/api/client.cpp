// The SDK's C++ API: the thread, the posting of calls, the handlers per topic, the store sync after
// every core call, and the background mode (client.hpp, docs/client-sdk.md).
#include "client-sdk/api/client.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <cassert>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "client-sdk/store/state_store.hpp"

namespace elmo::sdk {

const char* to_string(PublishError e) {
    switch (e) {
        case PublishError::invalid_topic:
            return "invalid topic";
        case PublishError::payload_too_large:
            return "payload too large";
        case PublishError::outbox_full:
            return "outbox full";
        case PublishError::closed:
            return "client closed";
    }
    return "unknown";
}

namespace {

Bytes random_client_id() {
    std::random_device rd;
    char buf[32];
    std::snprintf(buf, sizeof buf, "c-%08x%08x", rd(), rd());
    return Bytes(buf, buf + std::char_traits<char>::length(buf));
}

}  // namespace

struct Client::Impl {
    explicit Impl(ClientOptions o) : opts(std::move(o)) {}

    ClientOptions opts;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    asio::steady_timer bg_timer{io};
    std::unique_ptr<sdk::store::StateStore> store;
    std::unique_ptr<client::AsioClient> client;
    Bytes client_id;
    std::thread thread;
    std::atomic<std::thread::id> io_thread{};
    mutable std::mutex mu;  // guards `closed` and posting (close() must not race a post)
    bool closed = false;

    // Everything below: the io thread only.
    std::map<std::string, EventHandler> handlers;
    EventHandler default_handler;
    std::map<EventId, PublishCompletion> completions;  // at most one per outbox entry
    PublishCompletion publish_handler;
    ConnectionHandler connection_handler;
    ErrorHandler error_handler;
    bool started = false;
    bool stopped = false;  // close() reached the io thread
    bool background = false;
    bool app_network = true;  // what the app last said about the network
    bool bg_waiting = false;  // in the background, the core told "offline" until the next period
    std::uint64_t no_handler = 0, store_errors = 0;

    bool on_io_thread() const { return std::this_thread::get_id() == io_thread.load(); }

    // Runs `f` on the io thread: inline if already there, else posted (false if closed).
    template <class F>
    bool run(F f) {
        if (on_io_thread()) {
            f();
            return true;
        }
        std::lock_guard l(mu);
        if (closed) return false;
        asio::post(io, std::move(f));
        return true;
    }
    // Runs `f` on the io thread and waits for its value; nullopt if closed.
    template <class F>
    auto call(F f) -> std::optional<std::invoke_result_t<F&>> {
        if (on_io_thread()) return f();
        std::promise<std::invoke_result_t<F&>> p;
        auto fut = p.get_future();
        {
            std::lock_guard l(mu);
            if (closed) return std::nullopt;
            asio::post(io, [&] { p.set_value(f()); });
        }
        return fut.get();
    }

    void report(const std::string& message) {
        if (error_handler) error_handler(message);
    }

    void sync() {
        if (!store || !client) return;
        if (auto r = store->sync(client->core()); !r) {
            ++store_errors;
            report(r.error());
        }
    }

    // After every core call: persist, then keep the background promise (no reconnection timers).
    void after_call() {
        sync();
        if (background && !bg_waiting && app_network && client->core().waiting_to_reconnect()) {
            bg_waiting = true;
            asio::post(io, [this] {
                if (!bg_waiting || !client) return;
                client->on_connectivity_changed(false);
                arm_bg_timer();
            });
        }
    }

    void arm_bg_timer() {
        bg_timer.expires_after(opts.params.poll_period);
        bg_timer.async_wait([this](const asio::error_code& ec) {
            if (ec || !bg_waiting || !client) return;
            bg_waiting = false;
            if (app_network) client->on_connectivity_changed(true);  // one attempt, then wait
        });
    }

    void on_event(const Event& e) {
        EventHandler h;
        if (auto it = handlers.find(e.topic); it != handlers.end() && it->second)
            h = it->second;
        else
            h = default_handler;
        if (!h) {
            ++no_handler;
            return;
        }
        h(e);  // a copy: the handler may unsubscribe (and so destroy the stored one)
    }

    void on_publish(const EventId& id, PublishOutcome o) {
        if (auto node = completions.extract(id); !node.empty() && node.mapped())
            node.mapped()(id, o);
        if (publish_handler) publish_handler(id, o);
    }

    void set_background(bool on) {
        if (on == background) return;
        background = on;
        if (on) {
            client->set_keepalive(Duration::zero());
            after_call();  // not connected and backing off: wait for the poll period instead
            return;
        }
        client->set_keepalive(opts.foreground_keepalive);
        bg_timer.cancel();
        bool was_waiting = bg_waiting;
        bg_waiting = false;
        if (!started || !app_network) return;
        // The burst: connected, poll now (the outbox is already flowing); else reconnect at once
        // (the new connection renews, polls and sends the outbox).
        if (client->connected())
            client->poll_now();
        else if (was_waiting || !client->core().network_available() ||
                 client->core().waiting_to_reconnect())
            client->on_connectivity_changed(true);
    }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Client>, std::string> Client::open(ClientOptions options) {
    auto impl = std::make_unique<Impl>(std::move(options));
    ClientOptions& o = impl->opts;
    ClientSnapshot restored;
    Bytes id = o.client_id;
    if (!o.state_dir.empty()) {
        auto s = sdk::store::StateStore::open(o.state_dir);
        if (!s) return Err{s.error()};
        impl->store = std::move(*s);
        Bytes stored = impl->store->client_id();
        if (!id.empty() && !stored.empty() && id != stored)
            return Err{"state directory " + o.state_dir.string() +
                       " belongs to another client id (" +
                       std::string(stored.begin(), stored.end()) + ")"};
        if (id.empty()) id = stored;
        if (id.empty()) id = random_client_id();
        if (stored.empty())
            if (auto r = impl->store->set_client_id(id); !r) return Err{r.error()};
        restored = impl->store->loaded();
    }
    if (id.empty()) id = random_client_id();
    impl->client_id = id;

    client::AsioClientConfig cfg;
    cfg.params = o.params;
    cfg.params.keepalive_period = o.foreground_keepalive;
    cfg.client_id = id;
    cfg.bootstrap = o.nodes;
    cfg.trust = o.trust;
    cfg.seed = o.seed != 0 ? o.seed
                           : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
    auto c = client::AsioClient::create(impl->io, std::move(cfg));
    if (!c) return Err{c.error()};
    impl->client = std::move(*c);
    Impl* p = impl.get();
    impl->client->restore(restored);
    impl->client->set_event_handler([p](const Event& e) { p->on_event(e); });
    impl->client->set_publish_handler(
        [p](const EventId& id, PublishOutcome outcome) { p->on_publish(id, outcome); });
    impl->client->set_connection_handler([p](bool up) {
        if (p->connection_handler) p->connection_handler(up);
    });
    impl->client->set_error_handler([p](const std::string& m) { p->report(m); });
    impl->client->set_after_call_hook([p] { p->after_call(); });
    impl->sync();  // a restored core is what the store holds: normally writes nothing
    impl->thread = std::thread([p] {
        p->io_thread = std::this_thread::get_id();
        p->io.run();
    });
    return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::~Client() {
    close();
}

void Client::close() {
    Impl& m = *impl_;
    // Destroying the Client from its own callback would join the thread from itself.
    assert(!m.on_io_thread() && "Client::close() called from a callback");
    {
        std::lock_guard l(m.mu);
        if (m.closed) return;
        m.closed = true;
        asio::post(m.io, [&m] {
            m.bg_timer.cancel();
            m.bg_waiting = false;
            m.sync();
            m.stopped = true;
            m.client->stop();  // closes the connection and the core's timer: run() runs dry
        });
    }
    m.work.reset();
    if (m.thread.joinable()) m.thread.join();
}

void Client::start() {
    impl_->run([m = impl_.get()] {
        if (m->started) return;
        m->started = true;
        m->client->start();
        if (m->background) m->after_call();
    });
}

void Client::subscribe(const std::string& topic, EventHandler handler) {
    impl_->run([m = impl_.get(), topic, handler = std::move(handler)]() mutable {
        m->handlers[topic] = std::move(handler);
        m->client->subscribe(topic);
        if (!m->client->core().subscribed(topic)) m->handlers.erase(topic);  // refused
    });
}

void Client::unsubscribe(const std::string& topic) {
    impl_->run([m = impl_.get(), topic] {
        m->handlers.erase(topic);
        m->client->unsubscribe(topic);
    });
}

Result<EventId, PublishError> Client::publish(const std::string& topic, Bytes payload,
                                              PublishCompletion done) {
    Impl* m = impl_.get();
    auto r = m->call([&]() -> Result<EventId, PublishError> {
        // The after-call hook has made it durable by the time publish() returns.
        auto id = m->client->publish(topic, std::move(payload));
        if (!id) {
            switch (id.error()) {
                case ClientCore::PublishError::invalid_topic:
                    return Err{PublishError::invalid_topic};
                case ClientCore::PublishError::payload_too_large:
                    return Err{PublishError::payload_too_large};
                case ClientCore::PublishError::outbox_full:
                    return Err{m->stopped ? PublishError::closed : PublishError::outbox_full};
            }
        }
        if (done) m->completions[*id] = std::move(done);
        return *id;
    });
    if (!r) return Err{PublishError::closed};
    return std::move(*r);
}

void Client::poll_now() {
    impl_->run([m = impl_.get()] { m->client->poll_now(); });
}

void Client::on_connectivity_changed(bool available) {
    impl_->run([m = impl_.get(), available] {
        m->app_network = available;
        m->bg_waiting = false;
        m->bg_timer.cancel();
        m->client->on_connectivity_changed(available);
    });
}

void Client::set_background(bool background) {
    impl_->run([m = impl_.get(), background] { m->set_background(background); });
}

void Client::set_default_event_handler(EventHandler h) {
    impl_->run(
        [m = impl_.get(), h = std::move(h)]() mutable { m->default_handler = std::move(h); });
}

void Client::set_publish_handler(PublishCompletion h) {
    impl_->run(
        [m = impl_.get(), h = std::move(h)]() mutable { m->publish_handler = std::move(h); });
}

void Client::set_connection_handler(ConnectionHandler h) {
    impl_->run(
        [m = impl_.get(), h = std::move(h)]() mutable { m->connection_handler = std::move(h); });
}

void Client::set_error_handler(ErrorHandler h) {
    impl_->run([m = impl_.get(), h = std::move(h)]() mutable { m->error_handler = std::move(h); });
}

ClientStatus Client::status() const {
    Impl* m = impl_.get();
    auto s = m->call([m] {
        ClientStatus st;
        const ClientCore& core = m->client->core();
        st.started = m->started;
        st.connected = core.connected();
        st.background = m->background;
        st.network = core.network_available();
        st.home = core.home();
        st.client_id = m->client_id;
        for (const auto& [name, t] : core.topics()) {
            st.topics.push_back(name);
            if (t.registered) st.registered.push_back(name);
            if (t.pending_poll != 0 || t.poll_again) ++st.polls_in_flight;
        }
        st.outbox = core.outbox_size();
        st.next_seq = core.next_seq();
        st.known_nodes = core.nodes().size();
        st.core = core.stats();
        st.transport = m->client->stats();
        st.events_without_handler = m->no_handler;
        if (m->store) st.store_syncs = m->store->stats().syncs;
        st.store_errors = m->store_errors;
        st.last_error = m->client->last_error();
        return st;
    });
    if (s) return *s;
    ClientStatus closed;
    closed.client_id = m->client_id;
    closed.last_error = "client closed";
    return closed;
}

}  // namespace elmo::sdk
