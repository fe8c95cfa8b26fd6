// The `elmo` commands (docs/client-sdk.md, "CLI"). Each waits for its condition by polling the
// client's status every 20 ms up to a deadline; events are printed from the client's thread.
#include "client-sdk/cli/cli_commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "client-sdk/cli/cli_setup.hpp"
#include "wire/limits.hpp"

namespace elmo::cli {

std::atomic<bool> interrupted{false};

namespace {

using Clock = std::chrono::steady_clock;

int fail(const Failure& f) {
    std::fprintf(stderr, "elmo: %s\n", f.message.c_str());
    return f.code;
}

Clock::time_point deadline_after(double seconds) {
    if (seconds < 0) return Clock::time_point::max();
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

void step() {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// Prints each event on its own line, from the client's thread; counts them.
struct Printer {
    explicit Printer(const CliOptions& opts) : o(opts) {}
    const CliOptions& o;
    std::atomic<long> printed{0};
    std::mutex mu;
    void operator()(const sdk::Event& e) {
        std::lock_guard l(mu);
        if (o.count > 0 && printed.load() >= o.count) return;  // --count reached: no more output
        std::string line = format_event(e, o.json, o.verbose);
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
        ++printed;
    }
};

}  // namespace

int run_pub(const CliOptions& o) {
    const std::string& topic = o.topics.front();
    if (auto r = check_topic(topic); !r) return fail(r.error());
    std::vector<std::string> messages = o.messages;
    if (o.stdin_lines)
        for (std::string line; std::getline(std::cin, line);) messages.push_back(line);
    for (const auto& m : messages)
        if (m.size() > wire::limits::max_payload_bytes)
            return fail({exit_bad_input,
                         "payload too large (" + std::to_string(m.size()) + " bytes, at most " +
                             std::to_string(wire::limits::max_payload_bytes) + ")"});
    auto c = open_client(o);
    if (!c) return fail(c.error());
    sdk::Client& client = **c;
    // Completions run on the client's thread and only record; never hold `mu` across a call
    // into the client (publish waits for that thread).
    std::mutex mu;
    std::set<sdk::EventId> pending, done;
    bool invalid = false;
    client.start();
    for (const auto& m : messages) {
        auto id = client.publish(topic, Bytes(m.begin(), m.end()),
                                 [&](const sdk::EventId& id, sdk::PublishOutcome outcome) {
                                     std::lock_guard l(mu);
                                     done.insert(id);
                                     if (outcome == sdk::PublishOutcome::failed_invalid)
                                         invalid = true;
                                 });
        if (!id) {
            ExitCode code =
                id.error() == sdk::PublishError::outbox_full ? exit_outbox_full : exit_bad_input;
            return fail({code, std::string("publication refused: ") + to_string(id.error())});
        }
        pending.insert(*id);
        if (o.verbose) std::printf("queued %s\n", hex(*id).c_str());
    }
    std::fflush(stdout);
    if (o.no_wait) return exit_ok;
    std::string queued =
        o.state_dir.empty() ? " (lost: no --state-dir)" : " (kept in " + o.state_dir + ")";
    if (auto r = wait_connected(client, o); !r) {
        Failure f = r.error();
        f.message += "; publications not sent" + queued;
        return fail(f);
    }
    auto deadline = deadline_after(o.timeout_s < 0 ? 10 : o.timeout_s);
    for (;;) {
        bool all_done = false, refused = false;
        {
            std::lock_guard l(mu);
            refused = invalid;
            all_done = std::includes(done.begin(), done.end(), pending.begin(), pending.end());
        }
        if (refused) return fail({exit_refused, "publication refused by the network: invalid"});
        // Done when ours are acknowledged and nothing older is left in the outbox either.
        if (all_done && client.status().outbox == 0) return exit_ok;
        if (Clock::now() >= deadline)
            return fail({exit_timeout, "not acknowledged in time" + queued});
        step();
    }
}

int run_sub(const CliOptions& o) {
    for (const auto& t : o.topics)
        if (auto r = check_topic(t); !r) return fail(r.error());
    auto c = open_client(o);
    if (!c) return fail(c.error());
    sdk::Client& client = **c;
    Printer print{o};
    for (const auto& t : o.topics) client.subscribe(t, [&](const sdk::Event& e) { print(e); });
    client.start();
    if (auto r = wait_connected(client, o); !r) return fail(r.error());
    auto deadline = deadline_after(o.timeout_s);
    bool told = !o.verbose;
    while (!interrupted) {
        if (!told && client.status().registered.size() == o.topics.size()) {
            std::fprintf(stderr, "elmo: subscribed\n");  // scripts (and tests) wait for this
            told = true;
        }
        if (o.count > 0 && print.printed >= o.count) break;
        if (Clock::now() >= deadline)
            return fail({exit_timeout,
                         "timed out after " + std::to_string(print.printed.load()) + " events"});
        step();
    }
    client.close();  // syncs the seen ids before exiting
    return exit_ok;
}

int run_poll(const CliOptions& o) {
    for (const auto& t : o.topics)
        if (auto r = check_topic(t); !r) return fail(r.error());
    auto c = open_client(o);
    if (!c) return fail(c.error());
    sdk::Client& client = **c;
    Printer print{o};
    client.set_default_event_handler([&](const sdk::Event& e) { print(e); });
    for (const auto& t : o.topics) client.subscribe(t, [&](const sdk::Event& e) { print(e); });
    client.start();
    if (auto r = wait_connected(client, o); !r) return fail(r.error());
    auto deadline = deadline_after(o.timeout_s < 0 ? 10 : o.timeout_s);
    // Every topic registered (which polls it), every poll answered, the outbox empty.
    while (!interrupted) {
        auto s = client.status();
        if (s.registered.size() == s.topics.size() && s.polls_in_flight == 0 &&
            s.core.poll_results >= s.topics.size() && s.outbox == 0)
            break;
        if (o.count > 0 && print.printed >= o.count) break;
        if (Clock::now() >= deadline)
            return fail(
                {exit_timeout, "poll not finished in time: " + std::to_string(s.registered.size()) +
                                   "/" + std::to_string(s.topics.size()) + " topics registered, " +
                                   std::to_string(s.outbox) + " publications queued"});
        step();
    }
    client.close();
    return exit_ok;
}

int run_status(const CliOptions& o) {
    auto c = open_client(o);
    if (!c) return fail(c.error());
    sdk::Client& client = **c;
    auto s = client.status();
    std::printf("client id: %s\n", std::string(s.client_id.begin(), s.client_id.end()).c_str());
    std::printf("state dir: %s\n", o.state_dir.empty() ? "(none)" : o.state_dir.c_str());
    std::printf("topics: %zu", s.topics.size());
    for (const auto& t : s.topics) std::printf(" %s", t.c_str());
    std::printf("\noutbox: %zu publication(s) waiting\nnext seq: %llu\nknown nodes: %zu\n",
                s.outbox, static_cast<unsigned long long>(s.next_seq), s.known_nodes);
    if (o.offline) return exit_ok;
    client.start();
    if (auto r = wait_connected(client, o); !r) {
        std::printf("home: none\n");
        return fail(r.error());
    }
    s = client.status();
    std::printf("home: %s (connected)\n", s.home ? s.home->to_string().c_str() : "?");
    return exit_ok;
}

}  // namespace elmo::cli
