#pragma once
// Typed journal records of the mailbox state (topics, event history, registrations, links, the
// node's identity), their msgpack encoding, and the fold of a record sequence into a snapshot.
//
//   record := msgpack [format_version (1), kind, body]
//
// `body` is the kind's field array, encoded and strictly decoded by the wire field codec
// (wire/field_codec.hpp), so journal records get the same limits and typed errors as datagrams;
// an event is wire::Event's own encoding, so its id is re-checked against its content on replay.
//
// The snapshot is a plain struct, independent of mailbox::Mailbox internals: the daemon replays
// the journal into it at start-up and feeds it to a fresh Mailbox, which applies its own bounds
// (history length, expiry, registration lifetime) as it does for live input.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/node_id.hpp"
#include "common/result.hpp"
#include "wire/decode_error.hpp"
#include "wire/event.hpp"
#include "wire/limits.hpp"

namespace elmo::daemon {

inline constexpr std::uint32_t mailbox_journal_version = 1;
// A client id in a registration (wire's is at most 32 bytes; room for longer keys).
inline constexpr std::size_t max_journal_client_id_bytes = 256;

// An endpoint on disk: [family (0|4|6), address bin (0|4|16 bytes), port]; family 0 is "none".
struct JournalEndpoint {
    std::uint8_t family = 0;
    Bytes addr;
    std::uint16_t port = 0;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.family, "endpoint.family");
        v(s.addr, "endpoint.addr", 16);
        v(s.port, "endpoint.port");
    }
    std::optional<wire::DecodeError> validate() const {
        if ((family == 0 && addr.empty()) || (family == 4 && addr.size() == 4) ||
            (family == 6 && addr.size() == 16))
            return std::nullopt;
        return wire::DecodeError{wire::DecodeErrorCode::invalid_value, "endpoint"};
    }
    static JournalEndpoint from(const Endpoint& e) {
        if (!e.valid()) return {};
        return {static_cast<std::uint8_t>(e.family),
                Bytes(e.addr.begin(), e.addr.begin() + (e.family == Endpoint::Family::v4 ? 4 : 16)),
                e.port};
    }
    Endpoint to_endpoint() const {
        Endpoint e;
        if (validate() || family == 0) return e;
        e.family = family == 4 ? Endpoint::Family::v4 : Endpoint::Family::v6;
        std::copy(addr.begin(), addr.end(), e.addr.begin());
        e.port = port;
        return e;
    }
};

// Endpoint is not a described type: records carry it as a JournalEndpoint.
template <class E, class V>
void endpoint_field(E& e, V& v, const char* name) {
    if constexpr (std::is_const_v<E>) {
        JournalEndpoint w = JournalEndpoint::from(e);
        v(w, name);
    } else {
        JournalEndpoint w;
        v(w, name);
        e = w.to_endpoint();
    }
}

// A record naming a topic wire would refuse is garbled, not a topic to restore.
inline std::optional<wire::DecodeError> check_topic(const std::string& topic) {
    if (wire::valid_topic(topic)) return std::nullopt;
    return wire::DecodeError{wire::DecodeErrorCode::invalid_value, "topic"};
}

// Record kinds; values are on disk, never reuse one.
enum class RecordKind : std::uint16_t {
    topic_adopted = 1,
    topic_dropped = 2,
    event_stored = 3,
    registration = 4,
    registration_dropped = 5,
    link = 6,
    unlink = 7,
    node_identity = 8,
};

struct TopicAdopted {
    static constexpr RecordKind kind = RecordKind::topic_adopted;
    std::string topic;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.topic, "topic", wire::limits::max_topic_bytes); }
    std::optional<wire::DecodeError> validate() const { return check_topic(topic); }
    friend bool operator==(const TopicAdopted&, const TopicAdopted&) = default;
};

// The topic evaporated or was handed off: its events, registrations and links go with it.
struct TopicDropped {
    static constexpr RecordKind kind = RecordKind::topic_dropped;
    std::string topic;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.topic, "topic", wire::limits::max_topic_bytes); }
    std::optional<wire::DecodeError> validate() const { return check_topic(topic); }
    friend bool operator==(const TopicDropped&, const TopicDropped&) = default;
};

struct EventStored {
    static constexpr RecordKind kind = RecordKind::event_stored;
    wire::Event event;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.event, "event"); }
    friend bool operator==(const EventStored&, const EventStored&) = default;
};

// A client registered or renewed; the expiry is wall-clock time so that it survives a restart
// (steady-clock time points do not).
struct Registration {
    static constexpr RecordKind kind = RecordKind::registration;
    std::string topic;
    Bytes client_id;
    Endpoint home;
    std::int64_t expires_unix_ms = 0;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", wire::limits::max_topic_bytes);
        v(s.client_id, "client_id", max_journal_client_id_bytes);
        endpoint_field(s.home, v, "home");
        v(s.expires_unix_ms, "expires");
    }
    std::optional<wire::DecodeError> validate() const { return check_topic(topic); }
    friend bool operator==(const Registration&, const Registration&) = default;
};

struct RegistrationDropped {
    static constexpr RecordKind kind = RecordKind::registration_dropped;
    std::string topic;
    Bytes client_id;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", wire::limits::max_topic_bytes);
        v(s.client_id, "client_id", max_journal_client_id_bytes);
    }
    std::optional<wire::DecodeError> validate() const { return check_topic(topic); }
    friend bool operator==(const RegistrationDropped&, const RegistrationDropped&) = default;
};

struct Link {
    static constexpr RecordKind kind = RecordKind::link;
    std::string topic;
    NodeId node{};
    Endpoint endpoint;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", wire::limits::max_topic_bytes);
        v(s.node, "node");
        endpoint_field(s.endpoint, v, "endpoint");
    }
    std::optional<wire::DecodeError> validate() const { return check_topic(topic); }
    friend bool operator==(const Link&, const Link&) = default;
};

struct Unlink {
    static constexpr RecordKind kind = RecordKind::unlink;
    std::string topic;
    NodeId node{};
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", wire::limits::max_topic_bytes);
        v(s.node, "node");
    }
    std::optional<wire::DecodeError> validate() const { return check_topic(topic); }
    friend bool operator==(const Unlink&, const Unlink&) = default;
};

// The node's DHT id, so that a restart resumes the same identity.
struct NodeIdentity {
    static constexpr RecordKind kind = RecordKind::node_identity;
    NodeId id{};
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.id, "id"); }
    friend bool operator==(const NodeIdentity&, const NodeIdentity&) = default;
};

using MailboxRecord = std::variant<TopicAdopted, TopicDropped, EventStored, Registration,
                                   RegistrationDropped, Link, Unlink, NodeIdentity>;

Bytes encode_record(const MailboxRecord& record);

// Why a record could not be read. `unknown_kind` is a record of a later format or kind this
// build does not know (skipped, not garbage); `garbled` is anything else.
struct RecordError {
    enum class Code : std::uint8_t { garbled, unknown_kind } code = Code::garbled;
    wire::DecodeError decode;  // what was wrong, for garbled records
};
// Never throws, whatever the bytes.
Result<MailboxRecord, RecordError> decode_record(ByteView bytes);

// ---------------------------------------------------------------- snapshot

struct SnapshotRegistration {
    Endpoint home;
    std::int64_t expires_unix_ms = 0;
    friend bool operator==(const SnapshotRegistration&, const SnapshotRegistration&) = default;
};

struct SnapshotTopic {
    std::vector<wire::Event> events;  // arrival order, no two with one id
    std::map<Bytes, SnapshotRegistration> registrations;  // by client id
    std::map<NodeId, Endpoint> links;
    friend bool operator==(const SnapshotTopic&, const SnapshotTopic&) = default;
};

struct MailboxSnapshot {
    std::optional<NodeId> node_id;
    std::map<std::string, SnapshotTopic> topics;
    friend bool operator==(const MailboxSnapshot&, const MailboxSnapshot&) = default;
};

struct ReplayStats {
    std::size_t applied = 0;       // records that changed (or confirmed) the state
    std::size_t garbled = 0;       // records that did not decode: skipped
    std::size_t unknown_kind = 0;  // records of a kind or format this build does not know
    std::size_t not_held = 0;      // about a topic not adopted at that point: skipped
    std::size_t duplicates = 0;    // an event id already stored for its topic: skipped
};

struct ReplayResult {
    MailboxSnapshot snapshot;
    ReplayStats stats;
};

// Folds records in order: adopt creates a topic (keeping it if held), drop removes it with
// everything in it; events, registrations and links apply only to held topics; the last
// node_identity wins. Bad records are skipped and counted, never fatal.
ReplayResult replay(const std::vector<Bytes>& records);

// Records that replay to `snapshot` (node identity, then per topic: adoption, links,
// registrations, events in arrival order): what Journal::rewrite() writes when compacting.
std::vector<Bytes> snapshot_records(const MailboxSnapshot& snapshot);

}  // namespace elmo::daemon
