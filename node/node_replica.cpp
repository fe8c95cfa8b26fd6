// The history replica (docs/dissemination.md, "History replica"). A topic's mailboxes copy each
// other's events, but when they all fail at once (a crash of many nodes, or of every mailbox)
// the events they alone held are gone: a subscriber that was offline meanwhile never gets them,
// and a publisher re-injects its events only while they are in its recent cache and it is
// online. So a mailbox also puts every event it stores from a client into the DHT, under the
// topic's replica key, and a node that takes a topic reads the replica back. The DHT keeps the
// values on the nodes nearest the key (8 in OpenDHT), which are mailboxes of other topics at
// most by chance, and re-homes them when nodes come and go.
//
// Bounds: one value per slot; a topic has event_replica_slots slots (a ring per mailbox, from
// an offset of its node id: the next event overwrites its oldest slot; several mailboxes of a hot
// topic overwrite each other's, which only shortens what the replica covers of a topic with many
// other copies), and a value lives event_replica_lifetime. Cost: one DHT put per publication and
// one get per topic taken.
#include <algorithm>
#include <cstring>

#include "node/node_core.hpp"

namespace elmo {

// The directory's key (its own key until session 7): OpenDHT keeps a search per key a node
// touches, for an hour, and walks them all for every packet; one key per topic halves a
// mailbox's searches. Gets ask for one value type (DirectoryPort::query).
DirectoryKey NodeCore::replica_key(const std::string& topic) { return directory_key(topic); }

namespace {
std::size_t replica_slots(const NodeParams& p) {
    return std::min(p.event_replica_slots, max_directory_values);
}
}  // namespace

void NodeCore::replicate_event(const wire::Event& event) {
    const std::size_t slots = replica_slots(config_.params);
    if (!directory_ || !config_.params.use_directory || slots == 0) return;
    auto [it, fresh] = replica_next_slot_.try_emplace(event.topic, 0);
    if (fresh) {
        // Mailboxes of one topic start their rings at different slots.
        std::uint32_t offset = 0;
        std::memcpy(&offset, config_.id.data(), sizeof offset);
        it->second = static_cast<std::uint32_t>(offset % slots);
    }
    const std::uint32_t slot = it->second;
    it->second = static_cast<std::uint32_t>((slot + 1) % slots);
    ++stats_.replica_puts;
    const Bytes value = wire::encode(wire::Message{wire::EventPush{event}});
    directory_->announce(replica_key(event.topic), replica_value_id_bit | (slot + 1), value,
                         DirectoryValueKind::event_replica);
}

void NodeCore::replica_query(TimePoint now, const std::string& topic) {
    if (!directory_ || !config_.params.use_directory || replica_slots(config_.params) == 0) return;
    DirectoryQuery* pending = nullptr;
    if (!directory_query_room(now, topic, true, &pending)) return;
    const std::uint64_t id = fresh_id();
    directory_queries_[id] = DirectoryQuery{topic, 0, true, now};
    ++stats_.replica_queries;
    directory_->query(id, replica_key(topic), DirectoryValueKind::event_replica);
}

void NodeCore::on_replica_answer(TimePoint now, const std::string& topic,
                                 const std::vector<Bytes>& values) {
    if (!mailbox_.holds(topic)) return;  // evaporated meanwhile
    // Oldest first, so that the history keeps its order by publication.
    std::vector<wire::Event> events;
    for (const auto& v : values) {
        auto m = wire::decode(v);  // checks the event id against its contents
        const auto* push = m.ok() ? std::get_if<wire::EventPush>(&*m) : nullptr;
        if (!push || push->event.topic != topic) {
            ++stats_.replica_values_bad;
            continue;
        }
        events.push_back(push->event);
    }
    std::sort(events.begin(), events.end(), [](const wire::Event& a, const wire::Event& b) {
        return std::tie(a.timestamp_ms, a.id) < std::tie(b.timestamp_ms, b.id);
    });
    for (const auto& e : events)
        if (store_locally(now, e, true, false) == wire::StoreStatus::stored)
            ++stats_.replica_events_recovered;
}

}  // namespace elmo
