#pragma once
// A hook the Mailbox calls on each change of its durable state, so that the daemon can journal it
// (docs/daemon.md, "Journal") without the mailbox knowing about files. Optional: the simulator
// sets none. Called synchronously from inside the Mailbox call that made the change, after the
// change; an observer must not call back into the Mailbox.
//
// What is reported is what a restart needs: topics held, the events stored, registrations and
// links. Drops that a restarted Mailbox redoes by itself (events falling out of a topic's bounds
// or expiring, once replayed into a Mailbox with the same bounds) are not reported.
#include <cstdint>
#include <string>

#include "common/node_id.hpp"
#include "mailbox/types.hpp"
#include "wire/event.hpp"

namespace elmo::mailbox {

class ChangeObserver {
  public:
    virtual ~ChangeObserver() = default;
    virtual void topic_adopted(const std::string& topic) = 0;
    // The topic evaporated (idle) or was given up (shutdown): its events, registrations and
    // links are gone with it.
    virtual void topic_dropped(const std::string& topic, EvaporationReason reason) = 0;
    virtual void event_stored(const wire::Event& event) = 0;
    // A registration was added or renewed; the expiry in wall-clock milliseconds (the mailbox's
    // WallClock), since steady-clock times do not survive a restart.
    virtual void registration_set(const std::string& topic, const ClientId& client,
                                  const Endpoint& home, std::int64_t expires_unix_ms) = 0;
    // Unregistered or lapsed.
    virtual void registration_dropped(const std::string& topic, const ClientId& client) = 0;
    // A link added, or its endpoint refreshed.
    virtual void linked(const std::string& topic, const MailboxRef& other) = 0;
    virtual void unlinked(const std::string& topic, const NodeId& other) = 0;
};

}  // namespace elmo::mailbox
