#pragma once
// What the gossip engine needs from the node: a way to send, a way to hand over a new event
// (verify, store, push to clients), and read access to the event store to answer pulls.
//
// A port rather than returned action lists: two of the three calls need an answer at once (was
// this event new? what is the body of this id?), which a list of actions cannot give without a
// second round trip; the node core already talks to its driver through ports; and a test fake is
// ten lines.
#include <cstdint>
#include <optional>
#include <string>

#include "common/endpoint.hpp"
#include "wire/event.hpp"
#include "wire/msg_gossip.hpp"

namespace elmo::gossip {

// What the node did with an event the engine handed over.
enum class Delivery : std::uint8_t {
    stored,     // new: stored (and pushed to clients); the engine forwards it
    duplicate,  // the store already had it: not forwarded, and a redundant eager link is pruned
    rejected,   // not stored (bad signature, expired, over budget): not forwarded, not remembered
};

class GossipPort {
  public:
    virtual ~GossipPort() = default;
    // One message to another node. Fire and forget: losses are repaired by the protocol.
    virtual void send(const Endpoint& to, const wire::GossipMessage& message) = 0;
    // An event from a peer that this engine has not seen recently, `hops` mailbox hops from its
    // first mailbox.
    virtual Delivery deliver(const wire::Event& event, std::uint16_t hops) = 0;
    // A stored event, to answer a Graft or a DigestWant; nullopt if no longer stored.
    virtual std::optional<wire::Event> find_event(const std::string& topic,
                                                  const wire::EventId& id) = 0;
};

}  // namespace elmo::gossip
