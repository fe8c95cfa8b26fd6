#pragma once
// Between a client and its home node (DESIGN 2.5). In the daemon these travel in length-prefixed
// frames over TLS; in the simulator over a simulated client link. Same envelope as datagrams.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wire/limits.hpp"
#include "wire/msg_mailbox.hpp"
#include "wire/node_addr.hpp"

namespace elmo::wire {

// First message on a connection: who the client is.
struct ClientHello {
    static constexpr std::uint16_t type_id = 50;
    static constexpr std::string_view name = "client_hello";
    Bytes client_id;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.client_id, "client_id", max_client_id_bytes); }
    friend bool operator==(const ClientHello&, const ClientHello&) = default;
};

// Subscribe (or renew): register with a mailbox of `topic`. `preferred` lists mailboxes the
// client already knows (tried first, in order); empty means "find one".
struct Subscribe {
    static constexpr std::uint16_t type_id = 51;
    static constexpr std::string_view name = "subscribe";
    std::uint64_t request_id = 0;
    std::string topic;
    std::vector<NodeAddr> preferred;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.preferred, "preferred", max_mailboxes_listed);
    }
    friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

enum class SubscribeStatus : std::uint8_t {
    registered = 0,   // `mailbox` holds the registration until `lifetime_s` passes
    failed = 1,       // no mailbox could be found or reached; retry later. `mailbox` is then
                      // the home node that answered (a message always names a valid node)
};
inline bool is_valid(SubscribeStatus s) { return static_cast<std::uint8_t>(s) <= 1; }

struct SubscribeResult {
    static constexpr std::uint16_t type_id = 52;
    static constexpr std::string_view name = "subscribe_result";
    std::uint64_t request_id = 0;
    std::string topic;
    SubscribeStatus status = SubscribeStatus::registered;
    NodeAddr mailbox;
    std::uint32_t lifetime_s = 0;
    std::vector<NodeAddr> other_mailboxes;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.status, "status");
        v(s.mailbox, "mailbox");
        v(s.lifetime_s, "lifetime_s");
        v(s.other_mailboxes, "other_mailboxes", max_mailboxes_listed);
    }
    friend bool operator==(const SubscribeResult&, const SubscribeResult&) = default;
};

struct Unsubscribe {
    static constexpr std::uint16_t type_id = 53;
    static constexpr std::string_view name = "unsubscribe";
    std::string topic;
    std::vector<NodeAddr> mailboxes;  // where the client is registered
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.mailboxes, "mailboxes", max_mailboxes_listed);
    }
    friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

// The home node tells a client that a mailbox of one of its topics is gone (evaporated, refused
// or stopped answering); the client re-registers.
struct MailboxLost {
    static constexpr std::uint16_t type_id = 54;
    static constexpr std::string_view name = "mailbox_lost";
    std::string topic;
    NodeAddr mailbox;
    std::vector<NodeAddr> successors;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.mailbox, "mailbox");
        v(s.successors, "successors", max_mailboxes_listed);
    }
    friend bool operator==(const MailboxLost&, const MailboxLost&) = default;
};

// The home node names a few other live nodes (its overlay neighbours) the client may fail over
// to. Mailbox lists teach clients nodes too, but those are the nodes a mass failure of mailboxes
// takes, and a phone offline while its known nodes were all replaced would otherwise find no way
// back in. Sent after ClientHello; the client adds them to its bounded node book.
struct NodeList {
    static constexpr std::uint16_t type_id = 68;
    static constexpr std::string_view name = "node_list";
    std::vector<NodeAddr> nodes;
    template <class Self, class V>
    static void describe(Self& s, V& v) { v(s.nodes, "nodes", max_mailboxes_listed); }
    friend bool operator==(const NodeList&, const NodeList&) = default;
};

}  // namespace elmo::wire
