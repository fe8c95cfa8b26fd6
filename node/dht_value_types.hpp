#pragma once
// The OpenDHT value types elmo stores, registered by both drivers (the simulator's SimNode and the
// daemon's DhtDriver). How long a value lives is decided by the node that stores it, from its own
// type registry, so every node of a network must register the same types.
#include <opendht/dht.h>
#include <opendht/node.h>
#include <opendht/value.h>

#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "node/ports.hpp"

namespace elmo {

// "ER": an event replica (docs/dissemination.md, "History replica").
inline constexpr dht::ValueType::Id event_replica_value_type = 0x4552;
// "EM": a mailbox entry of the directory (docs/dissemination.md, "Rendezvous").
inline constexpr dht::ValueType::Id mailbox_entry_value_type = 0x454D;

inline dht::ValueType::Id dht_value_type(DirectoryValueKind kind) {
    return kind == DirectoryValueKind::event_replica ? event_replica_value_type
                                                     : mailbox_entry_value_type;
}

// The values of one kind: the storing nodes filter by the get's Where; this filter is the
// asker's own (a node need not honour the Where).
inline dht::Value::Filter of_kind(DirectoryValueKind kind) {
    return [type = dht_value_type(kind)](const dht::Value& v) { return v.type == type; };
}

// A value as elmo stores it (both drivers).
inline std::shared_ptr<dht::Value> directory_value(std::uint64_t id, ByteView bytes,
                                                   DirectoryValueKind kind) {
    auto v = std::make_shared<dht::Value>(bytes.data(), bytes.size());
    v->id = id;
    v->type = dht_value_type(kind);
    return v;
}

// Reads the values of one kind stored under `key` (both drivers): on_done once, with the values
// the answers carried (at most max_directory_values; the same value may come from several storing
// nodes) and the nodes the search ended at. Throws what OpenDHT throws.
using DirectoryReadDone =
    std::function<void(std::vector<Bytes>, const std::vector<std::shared_ptr<dht::Node>>&)>;
inline void directory_read(dht::Dht& dht, const dht::InfoHash& key, DirectoryValueKind kind,
                           DirectoryReadDone on_done) {
    // A plain get, paged by OpenDHT 2.4 (one request per storing node for the ids, then one per
    // value): Dht::query's Select would take one request per node, but it keeps only the first
    // answer that carries fields (FieldValueIndex::containedIn compares which fields two
    // answers have, not their values), so entries stored on other nodes would be lost
    // (docs/dissemination.md, "Tried and not kept").
    auto values = std::make_shared<std::vector<Bytes>>();
    dht.get(
        key,
        [values](const std::vector<std::shared_ptr<dht::Value>>& vs) {
            for (const auto& v : vs)
                if (v && values->size() < max_directory_values)
                    values->emplace_back(v->data.begin(), v->data.end());
            return true;
        },
        [values, on_done = std::move(on_done)](
            bool, const std::vector<std::shared_ptr<dht::Node>>& nodes) {
            on_done(std::move(*values), nodes);
        },
        of_kind(kind), dht::Where().valueType(dht_value_type(kind)));
}

// The nodes a finished DHT search ended at, closest to the key first (the directory's
// rendezvous, docs/dissemination.md), as the core's neighbours.
inline std::vector<Neighbour> closest_nodes(const std::vector<std::shared_ptr<dht::Node>>& nodes,
                                            Endpoint (*to_endpoint)(const sockaddr_storage&,
                                                                    socklen_t)) {
    std::vector<Neighbour> out;
    for (const auto& n : nodes) {
        if (!n) continue;
        const dht::SockAddr& a = n->getAddr();
        sockaddr_storage ss{};
        if (a.getLength() > sizeof ss) continue;
        std::memcpy(&ss, a.get(), a.getLength());
        Neighbour nb;
        std::memcpy(nb.id.data(), n->id.data(), nb.id.size());
        nb.endpoint = to_endpoint(ss, a.getLength());
        if (nb.endpoint.valid()) out.push_back(nb);
        if (out.size() == 8) break;
    }
    return out;
}

inline void register_value_types(dht::Dht& dht) {
    // A replica slot is overwritten by the next event any mailbox of the topic puts there (the
    // ring that bounds a topic's replica), and a directory slot by another mailbox of the topic
    // (NodeParams::directory_slots); OpenDHT's default refuses any edit of a stored value.
    // Values are checked at the edge when they are read back (wire::decode, topic, event id).
    const auto any_edit = [](dht::InfoHash, const std::shared_ptr<dht::Value>&,
                             std::shared_ptr<dht::Value>&, const dht::InfoHash&,
                             const dht::SockAddr&) { return true; };
    dht.registerType(dht::ValueType(event_replica_value_type, "elmo event replica",
                                    event_replica_lifetime, dht::ValueType::DEFAULT_STORE_POLICY,
                                    any_edit));
    dht.registerType(dht::ValueType(mailbox_entry_value_type, "elmo mailbox entry",
                                    mailbox_entry_lifetime, dht::ValueType::DEFAULT_STORE_POLICY,
                                    any_edit));
}

}  // namespace elmo
