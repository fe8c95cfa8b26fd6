#pragma once
// The values the mailbox role answers with: admission outcomes, load, counters, evaporation
// notices. Expected refusals are values the caller must look at, never exceptions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/time.hpp"
#include "common/node_id.hpp"  // NodeId (header only; no link dependency on the node core)
#include "wire/event.hpp"

namespace elmo::mailbox {

// A client's identity as the mailbox sees it: opaque bytes (its key or id), like
// wire::Event::publisher.
using ClientId = Bytes;

// Another mailbox of a topic: its DHT id and the address to reach it at.
struct MailboxRef {
    NodeId id{};
    Endpoint endpoint;
    friend bool operator==(const MailboxRef&, const MailboxRef&) = default;
};

// inactive: holds no topic and has room; recruiting: holds topics and has room; full: at
// capacity in topics or at/over any load budget (refuses new topics and new clients).
enum class MailboxState : std::uint8_t { inactive, recruiting, full };

enum class AdoptResult : std::uint8_t { adopted, already_held, refused_full };

enum class RegisterResult : std::uint8_t { registered, renewed, refused_full, not_held };
struct RegisterOutcome {
    RegisterResult result = RegisterResult::not_held;
    TimePoint expires_at{};  // set when registered or renewed: renew before this
};

enum class StoreResult : std::uint8_t {
    stored,          // new event, now in the history (and in the seen-set)
    duplicate,       // its id is stored or was seen within its time contract
    expired,         // past its expiry or older than max_event_age: not worth storing
    not_held,        // this mailbox does not hold the event's topic
    too_large,       // alone larger than the per-topic or per-mailbox byte bound
    refused_budget,  // would push the mailbox over max_stored_bytes: try another mailbox
};

enum class LinkResult : std::uint8_t { linked, already_linked, refused_full, not_held };

// A registered client, as listed for pushes.
struct RegisteredClient {
    ClientId client;
    Endpoint home;           // the home node it registered through (pushes go there)
    TimePoint expires_at{};
};

// A registration that lapsed (not renewed in time); returned by expire().
struct LapsedRegistration {
    std::string topic;
    ClientId client;
    Endpoint home;
    TimePoint lapsed_at{};   // its expiry time, not the time expire() noticed it
};

// Someone to tell that a topic evaporated, so they can re-link or re-register.
struct ClientNotice {
    ClientId client;
    Endpoint home;
    bool lapsed = false;  // false: was registered; true: its registration lapsed recently
};

enum class EvaporationReason : std::uint8_t { idle, shutdown };

// A topic this mailbox stopped holding, with everything the driver needs to finish the job:
// tell the clients and linked mailboxes, hand the events to a linked mailbox, stop advertising.
struct Evaporation {
    std::string topic;
    EvaporationReason reason = EvaporationReason::idle;
    std::vector<ClientNotice> clients;   // registered first, then recently lapsed; by client id
    std::vector<MailboxRef> links;       // ordered by node id
    std::vector<wire::Event> events;     // unexpired history, oldest arrival first
};

// Events of a topic stored after a cursor, and the cursor to pass next time.
struct EventsSince {
    std::vector<wire::Event> events;     // oldest arrival first
    std::uint64_t cursor = 0;
};

// One page of a poll's answer (Mailbox::poll_page).
struct PollPage {
    std::vector<wire::Event> events;  // oldest arrival first
    std::uint64_t cursor = 0;         // the next page starts after this arrival number
    bool more = false;                // stopped at a bound: ask again from `cursor`
};

struct Load {
    std::size_t topics = 0;
    std::size_t registrations = 0;
    std::size_t stored_bytes = 0;
    std::size_t stored_events = 0;
    double msgs_per_sec = 0;
    double bytes_per_sec = 0;
};

// Monotonic counters: every refusal and every drop is counted somewhere.
struct Counters {
    // topics
    std::uint64_t topics_adopted = 0;
    std::uint64_t refused_topics = 0;
    std::uint64_t topics_evaporated_idle = 0;
    std::uint64_t topics_evaporated_shutdown = 0;
    // registrations
    std::uint64_t registrations_new = 0;
    std::uint64_t registrations_renewed = 0;
    std::uint64_t refused_clients = 0;      // the mailbox is over a budget
    std::uint64_t refused_topic_full = 0;   // the topic has max_registrations_per_topic
    std::uint64_t registrations_not_held = 0;
    std::uint64_t registrations_expired = 0;
    std::uint64_t unregistered = 0;
    std::uint64_t lapsed_forgotten = 0;   // lapsed registrations aged out of lapsed memory
    // events
    std::uint64_t events_stored = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t refused_expired = 0;
    std::uint64_t refused_not_held = 0;
    std::uint64_t refused_too_large = 0;
    std::uint64_t refused_budget = 0;
    std::uint64_t dropped_by_count = 0;
    std::uint64_t dropped_by_bytes = 0;
    std::uint64_t dropped_by_age = 0;      // max_event_age reached
    std::uint64_t dropped_by_expiry = 0;   // the event's own expiry reached
    std::uint64_t events_handed_off = 0;   // returned in an Evaporation
    std::uint64_t seen_forgotten_early = 0;  // ids pushed out of a full seen-set: dedup weakened
    // links and polls
    std::uint64_t links_refused = 0;
    std::uint64_t polls = 0;
};

std::string_view to_string(MailboxState s);
std::string_view to_string(AdoptResult r);
std::string_view to_string(RegisterResult r);
std::string_view to_string(StoreResult r);
std::string_view to_string(LinkResult r);

}  // namespace elmo::mailbox
