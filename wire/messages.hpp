#pragma once
// The message registry. Adding a message: define its struct (with `type_id`, `name` and
// `describe`) in a header of its own, and add it to `MessageTypes` below. Type ids are stable on
// the wire and never reused; the static_asserts reject a duplicate.
#include <cstdint>
#include <string_view>
#include <variant>

#include "wire/msg_client.hpp"
#include "wire/msg_dissemination.hpp"
#include "wire/msg_gossip.hpp"
#include "wire/msg_hint.hpp"
#include "wire/msg_mailbox.hpp"
#include "wire/msg_probe.hpp"
#include "wire/msg_walk.hpp"

namespace elmo::wire {

template <class... Ts>
struct TypeList {};

// -------- one line per message --------
using MessageTypes = TypeList<Ping, Pong, EventPush, HintUpdate,               //
                              WalkStep, WalkResult,                              //
                              AdoptRequest, AdoptReply, RegisterRequest, RegisterReply,
                              RegisterBeyondTopicBudget,
                              TopicEvaporated, ElectionClaim, ElectionVerdict,   //
                              ClientHello, Subscribe, SubscribeResult, Unsubscribe, MailboxLost,
                              GossipEvent, IHave, Graft, Prune, Digest, DigestWant, GossipJoin,
                              GossipLeave,                                       //
                              StoreRequest, StoreReply, ClientPush, PollRequest, PollReply,
                              MailboxIntro, Publish, PublishResult, Deliver, Poll, PollResult,
                              NodeList>;
// --------------------------------------

namespace detail {
template <class L>
struct VariantOf;
template <class... Ts>
struct VariantOf<TypeList<Ts...>> {
    using type = std::variant<Ts...>;
};
template <class... Ts>
constexpr bool unique_ids(TypeList<Ts...>) {
    constexpr std::uint16_t ids[] = {Ts::type_id...};
    for (std::size_t i = 0; i < sizeof...(Ts); ++i)
        for (std::size_t j = i + 1; j < sizeof...(Ts); ++j)
            if (ids[i] == ids[j]) return false;
    return true;
}
}  // namespace detail

static_assert(detail::unique_ids(MessageTypes{}), "two messages share a type_id");

using Message = detail::VariantOf<MessageTypes>::type;

// The name of a message type id ("unknown" if none), for logs and metrics.
std::string_view message_name(std::uint16_t type_id);

}  // namespace elmo::wire
