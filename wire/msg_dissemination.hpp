#pragma once
// Publishing, push and poll (DESIGN 2.5, 2.6): between a client and its home node (types 55-59)
// and between a home node and the mailboxes of a topic (types 35-40). Gossip between mailboxes is
// msg_gossip.hpp.
//
// Paths:
//   publish:  client -Publish-> home -StoreRequest-> mailbox -StoreReply-> home -PublishResult->
//   push:     mailbox -ClientPush-> home of each registered client -Deliver-> client
//   poll:     client -Poll-> home -PollRequest-> mailbox -PollReply-> home -PollResult-> client;
//             the events the mailbox wanted go back as Publish{hand_in} -> StoreRequest{late}
//   linking:  a home node that learns several mailboxes of a topic tells them of each other
//             (MailboxIntro), and they link (GossipJoin)
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wire/event.hpp"
#include "wire/limits.hpp"
#include "wire/msg_mailbox.hpp"
#include "wire/node_addr.hpp"

namespace elmo::wire {

// Events one message carries at most. A datagram holds at most 65,000 bytes, so a sender also
// stops adding events at max_events_bytes of payload and sets `more` where the message has it.
inline constexpr std::size_t max_events_per_message = 256;
inline constexpr std::size_t max_events_bytes = 56 * 1024;  // stored size (payload + fields)
// Event ids in a poll (the client's or mailbox's recent ids of one topic).
inline constexpr std::size_t max_poll_ids = 1024;
// Clients named in one ClientPush (the registered clients of one home node).
inline constexpr std::size_t max_push_clients = 256;

// ---------------- home node <-> mailbox (datagrams) ----------------

// Store an event of a topic the mailbox holds. `late`: a client's hand-in of an event it carried
// from elsewhere (a poll's answer or the publisher's re-offer), spread without pruning links.
struct StoreRequest {
    static constexpr std::uint16_t type_id = 35;
    static constexpr std::string_view name = "store_request";
    std::uint64_t request_id = 0;
    Event event;
    bool late = false;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.event, "event");
        v(s.late, "late");
    }
    friend bool operator==(const StoreRequest&, const StoreRequest&) = default;
};

enum class StoreStatus : std::uint8_t {
    stored = 0,     // new, stored (accepted)
    duplicate = 1,  // already stored (accepted too: the event is safe)
    not_held = 2,   // not a mailbox of the topic: look elsewhere
    refused = 3,    // over budget or expired: look elsewhere
};
inline bool is_valid(StoreStatus s) { return static_cast<std::uint8_t>(s) <= 3; }
inline bool accepted(StoreStatus s) { return s == StoreStatus::stored || s == StoreStatus::duplicate; }

struct StoreReply {
    static constexpr std::uint16_t type_id = 36;
    static constexpr std::string_view name = "store_reply";
    std::uint64_t request_id = 0;
    EventId event_id{};
    StoreStatus status = StoreStatus::stored;
    std::vector<NodeAddr> other_mailboxes;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.event_id, "event_id");
        v(s.status, "status");
        v(s.other_mailboxes, "other_mailboxes", max_mailboxes_listed);
    }
    friend bool operator==(const StoreReply&, const StoreReply&) = default;
};

// A mailbox pushes a new event to the home node of some of its registered clients.
struct ClientPush {
    static constexpr std::uint16_t type_id = 37;
    static constexpr std::string_view name = "client_push";
    NodeAddr mailbox;  // the sender, relayed to the client in Deliver
    std::vector<Bytes> client_ids;
    Event event;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.mailbox, "mailbox");
        v(s.client_ids, "client_ids", max_push_clients);
        v(s.event, "event");
    }
    friend bool operator==(const ClientPush&, const ClientPush&) = default;
};

// A home node polls a mailbox for a client: `known` are the ids the client has of the topic.
struct PollRequest {
    static constexpr std::uint16_t type_id = 38;
    static constexpr std::string_view name = "poll_request";
    std::uint64_t request_id = 0;
    std::string topic;
    Bytes client_id;
    std::vector<EventId> known;
    std::uint64_t cursor = 0;   // see Poll
    std::int64_t since_ms = 0;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.client_id, "client_id", max_client_id_bytes);
        v(s.known, "known", max_poll_ids);
        v(s.cursor, "cursor");
        v(s.since_ms, "since_ms");
    }
    friend bool operator==(const PollRequest&, const PollRequest&) = default;
};

enum class PollStatus : std::uint8_t {
    ok = 0,
    not_held = 1,     // the mailbox does not (or no longer) hold the topic
    unreachable = 2,  // (to the client) the home got no answer from the mailbox
};
inline bool is_valid(PollStatus s) { return static_cast<std::uint8_t>(s) <= 2; }

// The events the client lacks (oldest first; `more` when some did not fit), the ids of the
// client's list the mailbox wants, and other mailboxes of the topic.
struct PollReply {
    static constexpr std::uint16_t type_id = 39;
    static constexpr std::string_view name = "poll_reply";
    std::uint64_t request_id = 0;
    std::string topic;
    PollStatus status = PollStatus::ok;
    std::vector<Event> events;
    std::vector<EventId> wanted;
    std::vector<NodeAddr> other_mailboxes;
    bool more = false;
    std::uint64_t cursor = 0;  // where the next poll of this mailbox goes on from
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.status, "status");
        v(s.events, "events", max_events_per_message);
        v(s.wanted, "wanted", max_poll_ids);
        v(s.other_mailboxes, "other_mailboxes", max_mailboxes_listed);
        v(s.more, "more");
        v(s.cursor, "cursor");
    }
    friend bool operator==(const PollReply&, const PollReply&) = default;
};

// "These are mailboxes of `topic`": the receiver links those it does not know (GossipJoin).
struct MailboxIntro {
    static constexpr std::uint16_t type_id = 40;
    static constexpr std::string_view name = "mailbox_intro";
    std::string topic;
    std::vector<NodeAddr> mailboxes;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.mailboxes, "mailboxes", max_mailboxes_listed);
    }
    friend bool operator==(const MailboxIntro&, const MailboxIntro&) = default;
};

// ---------------- client <-> home node (frames) ----------------

// Publish an event (built and sealed by the client). `preferred`: mailboxes of the topic the
// client knows, tried first. `hand_in`: the event is one a mailbox asked for in a poll answer
// (preferred[0]); it is stored there only, never looked up elsewhere.
struct Publish {
    static constexpr std::uint16_t type_id = 55;
    static constexpr std::string_view name = "publish";
    std::uint64_t request_id = 0;
    Event event;
    std::vector<NodeAddr> preferred;
    bool hand_in = false;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.event, "event");
        v(s.preferred, "preferred", max_mailboxes_listed);
        v(s.hand_in, "hand_in");
    }
    friend bool operator==(const Publish&, const Publish&) = default;
};

enum class PublishStatus : std::uint8_t {
    accepted = 0,  // `mailbox` stored it: the client may drop it from its outbox
    failed = 1,    // no mailbox stored it; retry later (`mailbox` is then the home node)
    invalid = 2,   // the event is malformed (id does not match its content): do not retry
};
inline bool is_valid(PublishStatus s) { return static_cast<std::uint8_t>(s) <= 2; }

struct PublishResult {
    static constexpr std::uint16_t type_id = 56;
    static constexpr std::string_view name = "publish_result";
    std::uint64_t request_id = 0;
    EventId event_id{};
    PublishStatus status = PublishStatus::accepted;
    NodeAddr mailbox;
    std::vector<NodeAddr> other_mailboxes;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.event_id, "event_id");
        v(s.status, "status");
        v(s.mailbox, "mailbox");
        v(s.other_mailboxes, "other_mailboxes", max_mailboxes_listed);
    }
    friend bool operator==(const PublishResult&, const PublishResult&) = default;
};

// Events for the client: a mailbox's push (relayed by the home node). The client dedups by id.
struct Deliver {
    static constexpr std::uint16_t type_id = 57;
    static constexpr std::string_view name = "deliver";
    NodeAddr mailbox;
    std::vector<Event> events;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.mailbox, "mailbox");
        v(s.events, "events", max_events_per_message);
    }
    friend bool operator==(const Deliver&, const Deliver&) = default;
};

// Poll `mailbox` for `topic`, offering the ids the client knows (its seen ids and its own
// recent publications). The mailbox pages through its history in arrival order: `cursor` is
// where the last answer of this mailbox stopped (0: from the start), and events that arrived
// there before `since_ms` (wall time) are skipped, so that a deep history is not sent again
// to a client that had it (its `known` list holds only the newest 1,024 ids).
struct Poll {
    static constexpr std::uint16_t type_id = 58;
    static constexpr std::string_view name = "poll";
    std::uint64_t request_id = 0;
    std::string topic;
    NodeAddr mailbox;
    std::vector<EventId> known;
    std::uint64_t cursor = 0;
    std::int64_t since_ms = 0;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.mailbox, "mailbox");
        v(s.known, "known", max_poll_ids);
        v(s.cursor, "cursor");
        v(s.since_ms, "since_ms");
    }
    friend bool operator==(const Poll&, const Poll&) = default;
};

// The mailbox's answer relayed to the client (status unreachable: no answer in time).
struct PollResult {
    static constexpr std::uint16_t type_id = 59;
    static constexpr std::string_view name = "poll_result";
    std::uint64_t request_id = 0;
    std::string topic;
    NodeAddr mailbox;
    PollStatus status = PollStatus::ok;
    std::vector<Event> events;
    std::vector<EventId> wanted;
    std::vector<NodeAddr> other_mailboxes;
    bool more = false;
    std::uint64_t cursor = 0;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.mailbox, "mailbox");
        v(s.status, "status");
        v(s.events, "events", max_events_per_message);
        v(s.wanted, "wanted", max_poll_ids);
        v(s.other_mailboxes, "other_mailboxes", max_mailboxes_listed);
        v(s.more, "more");
        v(s.cursor, "cursor");
    }
    friend bool operator==(const PollResult&, const PollResult&) = default;
};

}  // namespace elmo::wire
