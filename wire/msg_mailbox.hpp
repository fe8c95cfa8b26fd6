#pragma once
// Between a home node and the mailboxes of its clients' topics (DESIGN 2.3, 2.5): adopting a
// topic, registering a client, liveness, and the notice of an evaporated topic.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wire/limits.hpp"
#include "wire/node_addr.hpp"

namespace elmo::wire {

inline constexpr std::size_t max_client_id_bytes = 32;
inline constexpr std::size_t max_mailboxes_listed = 16;

// Ask a node with room to become a mailbox of `topic`.
struct AdoptRequest {
    static constexpr std::uint16_t type_id = 30;
    static constexpr std::string_view name = "adopt_request";
    std::uint64_t request_id = 0;
    std::string topic;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
    }
    friend bool operator==(const AdoptRequest&, const AdoptRequest&) = default;
};

enum class AdoptStatus : std::uint8_t { adopted = 0, already_held = 1, refused_full = 2 };
inline bool is_valid(AdoptStatus s) { return static_cast<std::uint8_t>(s) <= 2; }

struct AdoptReply {
    static constexpr std::uint16_t type_id = 31;
    static constexpr std::string_view name = "adopt_reply";
    std::uint64_t request_id = 0;
    std::string topic;
    AdoptStatus status = AdoptStatus::adopted;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.status, "status");
    }
    friend bool operator==(const AdoptReply&, const AdoptReply&) = default;
};

// A home node registers (or renews) one of its clients with a mailbox of a topic.
struct RegisterRequest {
    static constexpr std::uint16_t type_id = 32;
    static constexpr std::string_view name = "register_request";
    std::uint64_t request_id = 0;
    std::string topic;
    Bytes client_id;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.client_id, "client_id", max_client_id_bytes);
    }
    friend bool operator==(const RegisterRequest&, const RegisterRequest&) = default;
};

// The same request, sent when the topic could get no other mailbox (every node a search for one
// more reached holds the topic, or none answered): the mailbox takes the client beyond its
// per-topic registration budget (its mailbox-wide budgets still apply). A small cluster with a
// popular topic would otherwise refuse its subscribers for good.
// Same fields as RegisterRequest (its describe is inherited).
struct RegisterBeyondTopicBudget : RegisterRequest {
    static constexpr std::uint16_t type_id = 43;
    static constexpr std::string_view name = "register_beyond_topic_budget";
    friend bool operator==(const RegisterBeyondTopicBudget&,
                           const RegisterBeyondTopicBudget&) = default;
};

enum class RegisterStatus : std::uint8_t {
    registered = 0,
    renewed = 1,
    refused_full = 2,  // over the mailbox's budget: look elsewhere
    not_held = 3,      // not (or no longer) a mailbox of the topic
};
inline bool is_valid(RegisterStatus s) { return static_cast<std::uint8_t>(s) <= 3; }

struct RegisterReply {
    static constexpr std::uint16_t type_id = 33;
    static constexpr std::string_view name = "register_reply";
    std::uint64_t request_id = 0;
    std::string topic;
    Bytes client_id;
    RegisterStatus status = RegisterStatus::registered;
    std::uint32_t lifetime_s = 0;        // the registration lapses unless renewed within this
    std::vector<NodeAddr> other_mailboxes;  // other mailboxes of the topic the mailbox knows
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.client_id, "client_id", max_client_id_bytes);
        v(s.status, "status");
        v(s.lifetime_s, "lifetime_s");
        v(s.other_mailboxes, "other_mailboxes", max_mailboxes_listed);
    }
    friend bool operator==(const RegisterReply&, const RegisterReply&) = default;
};

// A mailbox stopped holding a topic (evaporation, shutdown); `successor` may take over.
struct TopicEvaporated {
    static constexpr std::uint16_t type_id = 34;
    static constexpr std::string_view name = "topic_evaporated";
    std::string topic;
    std::vector<NodeAddr> successors;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.successors, "successors", max_mailboxes_listed);
    }
    friend bool operator==(const TopicEvaporated&, const TopicEvaporated&) = default;
};

// A home about to elect `candidate` as the first mailbox of `topic` asks the node nearest the
// topic's directory key, which arbitrates (node/election_arbiter.hpp).
struct ElectionClaim {
    static constexpr std::uint16_t type_id = 41;
    static constexpr std::string_view name = "election_claim";
    std::uint64_t request_id = 0;
    std::string topic;
    NodeAddr candidate;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.candidate, "candidate");
    }
    friend bool operator==(const ElectionClaim&, const ElectionClaim&) = default;
};

// The arbiter's answer: the node to adopt the topic (the claim's candidate if it won).
struct ElectionVerdict {
    static constexpr std::uint16_t type_id = 42;
    static constexpr std::string_view name = "election_verdict";
    std::uint64_t request_id = 0;
    std::string topic;
    NodeAddr winner;
    template <class Self, class V>
    static void describe(Self& s, V& v) {
        v(s.request_id, "request_id");
        v(s.topic, "topic", limits::max_topic_bytes);
        v(s.winner, "winner");
    }
    friend bool operator==(const ElectionVerdict&, const ElectionVerdict&) = default;
};

}  // namespace elmo::wire
