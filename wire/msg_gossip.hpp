#pragma once
// Dissemination among the mailboxes of a topic (DESIGN 2.4, docs/gossip.md): the epidemic
// broadcast tree (Plumtree) messages, digests for anti-entropy, and the link handshake that keeps
// links symmetric. Type ids 60-79 belong to this file.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/node_id.hpp"
#include "wire/event.hpp"
#include "wire/limits.hpp"

namespace elmo::wire {

// Most event ids one gossip message carries: 512 ids of 32 bytes (+2 bytes of framing each) is
// about 17 KB, well inside one datagram, and more than any batch the engine builds.
inline constexpr std::size_t max_gossip_ids = 512;

// Why a copy of an event travels. Only an eager push that arrives twice is a sign of a redundant
// tree link (and prunes it); copies pulled by a Graft or a DigestWant, and what is forwarded
// from them, arrive late by nature and must not prune the links they cross.
enum class GossipKind : std::uint8_t { push = 0, graft = 1, repair = 2 };
inline bool is_valid(GossipKind k) { return static_cast<std::uint8_t>(k) <= 2; }

// A full event on a tree link. The topic is the event's own (checked on decode like its id).
struct GossipEvent {
    static constexpr std::uint16_t type_id = 60;
    static constexpr std::string_view name = "gossip_event";
    Event event;
    // Mailbox-to-mailbox hops this copy has made, this one included: 1 from the mailbox that
    // first stored the event. A pulled copy starts again at 1 (the sender does not keep hops).
    std::uint16_t hops = 0;
    GossipKind kind = GossipKind::push;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.event, "event");
        v(s.hops, "hops");
        v(s.kind, "kind");
    }
    friend bool operator==(const GossipEvent&, const GossipEvent&) = default;
};

// Lazy push: "I have these events" (ids only), batched per peer.
struct IHave {
    static constexpr std::uint16_t type_id = 61;
    static constexpr std::string_view name = "ihave";
    std::string topic;
    std::vector<EventId> ids;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.ids, "ids", max_gossip_ids);
    }
    std::optional<DecodeError> validate() const {
        if (ids.empty()) return DecodeError{DecodeErrorCode::invalid_value, "ids"};
        return std::nullopt;
    }
    friend bool operator==(const IHave&, const IHave&) = default;
};

// "Send me these events, and push to me eagerly from now on": repairs the tree.
struct Graft {
    static constexpr std::uint16_t type_id = 62;
    static constexpr std::string_view name = "graft";
    std::string topic;
    std::vector<EventId> ids;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.ids, "ids", max_gossip_ids);
    }
    std::optional<DecodeError> validate() const {
        if (ids.empty()) return DecodeError{DecodeErrorCode::invalid_value, "ids"};
        return std::nullopt;
    }
    friend bool operator==(const Graft&, const Graft&) = default;
};

// "Your eager pushes reach me twice: send me ids only": turns a redundant link lazy.
struct Prune {
    static constexpr std::uint16_t type_id = 63;
    static constexpr std::string_view name = "prune";
    std::string topic;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.topic, "topic", limits::max_topic_bytes); }
    friend bool operator==(const Prune&, const Prune&) = default;
};

// Anti-entropy: the ids of the sender's recent events. Always answered by a DigestWant (possibly
// empty), which doubles as the liveness ack. Carries the sender's id so that a receiver that lost
// the link (a lost GossipJoin, a healed partition) can take it back.
struct Digest {
    static constexpr std::uint16_t type_id = 64;
    static constexpr std::string_view name = "digest";
    std::string topic;
    NodeId sender{};
    std::vector<EventId> ids;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.sender, "sender");
        v(s.ids, "ids", max_gossip_ids);
    }
    friend bool operator==(const Digest&, const Digest&) = default;
};

// The answer to a Digest: the ids the receiver lacks (a pull; empty is a plain ack).
struct DigestWant {
    static constexpr std::uint16_t type_id = 65;
    static constexpr std::string_view name = "digest_want";
    std::string topic;
    std::vector<EventId> ids;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.ids, "ids", max_gossip_ids);
    }
    friend bool operator==(const DigestWant&, const DigestWant&) = default;
};

// Link handshake: "I link you for `topic`" (ack = false), answered with ack = true by a receiver
// that accepts. Also sent (ack = false) to a stranger that gossips to us, to learn its id.
struct GossipJoin {
    static constexpr std::uint16_t type_id = 66;
    static constexpr std::string_view name = "gossip_join";
    std::string topic;
    NodeId sender{};
    bool ack = false;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.sender, "sender");
        v(s.ack, "ack");
    }
    friend bool operator==(const GossipJoin&, const GossipJoin&) = default;
};

// "I do not (or no longer) link you for `topic`": refusal of a join, unlink, topic not held.
struct GossipLeave {
    static constexpr std::uint16_t type_id = 67;
    static constexpr std::string_view name = "gossip_leave";
    std::string topic;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.topic, "topic", limits::max_topic_bytes); }
    friend bool operator==(const GossipLeave&, const GossipLeave&) = default;
};

// The gossip messages as one variant: the engine's input and output type, independent of the
// registry (the node converts to and from wire::Message).
using GossipMessage =
    std::variant<GossipEvent, IHave, Graft, Prune, Digest, DigestWant, GossipJoin, GossipLeave>;

// Whether a message type is one of GossipMessage's, e.g. to route wire::Message alternatives.
template <class T, class Variant>
struct is_gossip_message_of;
template <class T, class... Ts>
struct is_gossip_message_of<T, std::variant<Ts...>>
    : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};
template <class T>
inline constexpr bool is_gossip_message_v = is_gossip_message_of<T, GossipMessage>::value;

// The topic a gossip message is about.
inline const std::string& topic_of(const GossipMessage& m) {
    return std::visit(
        [](const auto& x) -> const std::string& {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, GossipEvent>)
                return x.event.topic;
            else
                return x.topic;
        },
        m);
}

}  // namespace elmo::wire
