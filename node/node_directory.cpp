// The DHT as a directory of mailboxes (docs/dissemination.md, "Rendezvous"). Every mailbox of a
// topic stores a MailboxIntro naming itself under the topic's key, in one of a few slots it may
// share with the topic's other mailboxes; lookups and discovery ask for what is stored there
// beside their walks. The walks find mailboxes through hints within a few hops in steady state;
// the directory is what makes homes converge on one replacement when a topic's mailboxes die
// together (each home would otherwise elect its own), and what links the mailboxes elected in
// such a race within seconds.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

#include "common/hash.hpp"
#include "node/node_core.hpp"

namespace elmo {

DirectoryKey NodeCore::directory_key(const std::string& topic) {
    return topic_key("elmo/mailboxes/", topic);
}

DirectoryKey NodeCore::topic_key(std::string_view prefix, const std::string& topic) {
    const auto digest = sha256_parts(
        {ByteView(reinterpret_cast<const std::uint8_t*>(prefix.data()), prefix.size()),
         ByteView(reinterpret_cast<const std::uint8_t*>(topic.data()), topic.size())});
    DirectoryKey key{};
    std::copy_n(digest.begin(), key.size(), key.begin());
    return key;
}

void NodeCore::directory_announce(const std::string& topic) {
    if (!directory_ || !config_.params.use_directory) return;
    ++stats_.directory_announces;
    const Bytes value = wire::encode(wire::MailboxIntro{topic, {self_addr()}});
    const DirectoryKey key = directory_key(topic);
    directory_->announce(key, directory_slot(config_.id, key, config_.params.directory_slots),
                         value, DirectoryValueKind::mailbox_entry);
}

// The same slot for a mailbox and topic at every refresh (OpenDHT: 0 is no id); the top bit is
// clear: replica slots under the same key have it set (replica_value_id_bit).
std::uint64_t NodeCore::directory_slot(const NodeId& id, const DirectoryKey& key,
                                       std::size_t slots) {
    std::uint64_t id_bits = 0, key_bits = 0;
    std::memcpy(&id_bits, id.data(), sizeof id_bits);
    std::memcpy(&key_bits, key.data(), sizeof key_bits);
    const std::size_t slot_count = std::clamp<std::size_t>(slots, 1, max_directory_values);
    return 1 + (id_bits ^ key_bits) % slot_count;
}

void NodeCore::directory_refresh(TimePoint now) {
    directory_timer_ = false;
    const auto topics = mailbox_.topics();
    for (const auto& topic : topics) directory_announce(topic);
    if (topics.empty()) return;  // the next adoption starts the timer again
    directory_timer_ = true;
    schedule(now + config_.params.directory_refresh, TimerKind::directory_refresh);
}

bool NodeCore::directory_query_room(TimePoint now, const std::string& topic, bool replica,
                                    DirectoryQuery** pending) {
    *pending = nullptr;
    for (auto it = directory_queries_.begin(); it != directory_queries_.end();) {
        if (now - it->second.sent >= config_.params.directory_query_timeout) {
            it = directory_queries_.erase(it);  // a late answer is ignored
            continue;
        }
        if (it->second.replica == replica && it->second.topic == topic) *pending = &it->second;
        ++it;
    }
    if (*pending) return false;
    if (directory_queries_.size() >= config_.params.max_directory_queries) {
        ++stats_.directory_queries_dropped;
        return false;
    }
    return true;
}

bool NodeCore::directory_query(TimePoint now, const std::string& topic,
                               std::uint64_t lookup_generation) {
    if (!directory_ || !config_.params.use_directory) return false;
    DirectoryQuery* pending = nullptr;
    if (!directory_query_room(now, topic, false, &pending)) {
        if (!pending) return false;
        pending->lookup_generation = lookup_generation;  // its answer goes to this lookup
        ++stats_.directory_queries_joined;
        return true;
    }
    const std::uint64_t id = fresh_id();
    directory_queries_[id] = DirectoryQuery{topic, lookup_generation, false, now};
    ++stats_.directory_queries;
    directory_->query(id, directory_key(topic), DirectoryValueKind::mailbox_entry);
    return true;
}

TimePoint NodeCore::on_directory_answer(TimePoint now, std::uint64_t query_id,
                                        const std::vector<Bytes>& values,
                                        const std::vector<Neighbour>& closest) {
    auto it = directory_queries_.find(query_id);
    if (it == directory_queries_.end()) {
        ++stats_.unexpected_messages;
        return next_wakeup();
    }
    const DirectoryQuery q = std::move(it->second);
    directory_queries_.erase(it);
    if (q.replica) {
        on_replica_answer(now, q.topic, values);
        return next_wakeup();
    }

    // Anyone may store anything under a key: only entries of this topic count, and nodes that
    // failed to answer lately (a dead mailbox's entry lives on for up to 10 minutes) are skipped.
    std::vector<wire::NodeAddr> found;
    for (const auto& v : values) {
        auto m = wire::decode(v);
        const auto* intro = m.ok() ? std::get_if<wire::MailboxIntro>(&*m) : nullptr;
        if (!intro || intro->topic != q.topic) {
            ++stats_.directory_values_bad;
            continue;
        }
        for (const auto& a : intro->mailboxes) {
            if (a.id == config_.id || suspected(a.id, now) || !a.endpoint.to_endpoint().valid())
                continue;
            wire::add_unique(found, a, std::numeric_limits<std::size_t>::max());
        }
    }
    // Entries come in the DHT's order, the same for every asker; a dead mailbox's entry outlives
    // it. Shuffled before the cap, so that stale entries at the front cannot hide the live
    // ones from everybody (after every mailbox crashed, 40 entries, the same 16 always kept).
    std::shuffle(found.begin(), found.end(), rng_);
    if (found.size() > wire::max_walk_hits) found.resize(wire::max_walk_hits);
    if (found.empty()) {
        // Nobody holds the topic. Every home whose lookup fails now would elect a different
        // node (itself, or a recruit its walks met): a flash crowd made 763 mailboxes of one
        // topic. The node the DHT puts nearest the key is the same for all of them: it
        // arbitrates.
        auto l = lookups_.find(q.topic);
        if (l == lookups_.end() || l->second.generation != q.lookup_generation ||
            l->second.discovery || l->second.need_new)
            return next_wakeup();
        l->second.directory_answered = true;
        if (config_.params.arbitrated_election) {
            l->second.arbiters.clear();
            for (const auto& n : closest) {
                if (suspected(n.id, now)) continue;
                l->second.arbiters.push_back(wire::NodeAddr::from(n.id, n.endpoint));
                if (l->second.arbiters.size() == max_arbiters_tried) break;
            }
        }
        if (l->second.directory_wait) start_election(now, q.topic);  // its walks found nothing
        return next_wakeup();
    }
    ++stats_.directory_answers;
    for (const auto& a : found) known_.learn(q.topic, a, now);
    if (mailbox_.holds(q.topic))
        for (const auto& a : found) link_peer(now, q.topic, a);

    // A client's lookup still searching: the mailboxes found serve its waiting clients now.
    auto l = lookups_.find(q.topic);
    if (l != lookups_.end() && l->second.generation == q.lookup_generation &&
        !l->second.discovery && !l->second.need_new) {
        ++stats_.lookups_found_in_directory;
        ++stats_.lookups_found_existing;
        std::vector<wire::NodeAddr> hits = l->second.hits;
        for (const auto& a : found) wire::add_unique(hits, a, std::numeric_limits<std::size_t>::max());
        resolve_lookup(now, q.topic, hits);
    }
    return next_wakeup();
}

}  // namespace elmo
