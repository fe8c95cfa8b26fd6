#pragma once
// What of a client core outlives its process (DESIGN 1: a phone app is killed at any time):
// subscriptions with their mailboxes, the seen ids, the outbox, the next sequence number and the
// learned nodes. Plain data, no steady-clock times (they mean nothing in another process): wall
// times stay wall times, everything else is re-derived on restore. The SDK's store
// (client-sdk/store/) writes it incrementally; ClientCore::snapshot() and restore() convert.
#include <cstdint>
#include <string>
#include <vector>

#include "common/endpoint.hpp"
#include "wire/event.hpp"
#include "wire/node_addr.hpp"

namespace elmo {

struct ClientSnapshot {
    struct Topic {
        std::string name;
        wire::NodeAddr mailbox;             // current or last; unset if none
        std::vector<wire::NodeAddr> known;  // other mailboxes, most recent first
        std::vector<wire::EventId> seen;    // oldest first
        std::int64_t caught_up_ms = 0;      // wall time up to which every event was received
        NodeId cursor_mailbox{};            // where paging through a history stopped ...
        std::uint64_t poll_cursor = 0;      // ... and at which cursor
        friend bool operator==(const Topic&, const Topic&) = default;
    };
    std::uint64_t next_seq = 1;
    std::vector<Topic> topics;        // by name
    std::vector<wire::Event> outbox;  // unacknowledged publications, in publication order
    std::vector<Endpoint> nodes;      // learned nodes, least recently learned first
    friend bool operator==(const ClientSnapshot&, const ClientSnapshot&) = default;
};

}  // namespace elmo
