#include "node/daemon/mailbox_persistence.hpp"

#include <sys/stat.h>

#include <algorithm>

namespace elmo::daemon {
namespace {

std::string hex(const NodeId& id) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto b : id) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

}  // namespace

MailboxSnapshot snapshot_of(const mailbox::Mailbox& mailbox, const NodeId& id) {
    MailboxSnapshot snap;
    snap.node_id = id;
    for (const auto& topic : mailbox.topics()) {
        SnapshotTopic& t = snap.topics[topic];
        t.events = mailbox.events_since(topic, 0).events;
        for (const auto& c : mailbox.clients(topic))
            t.registrations[c.client] =
                SnapshotRegistration{c.home, mailbox.wall_clock().to_unix_ms(c.expires_at)};
        for (const auto& l : mailbox.links(topic)) t.links[l.id] = l.endpoint;
    }
    return snap;
}

MailboxPersistence::MailboxPersistence(Journal journal, NodeId id, const Log& log)
    : journal_(std::move(journal)), id_(id), log_(log) {}

Result<std::unique_ptr<MailboxPersistence>, std::string> MailboxPersistence::open(
    const std::filesystem::path& file, const NodeId& id, const Log& log) {
    // Before open, which may truncate a damaged tail (and so touch the file).
    std::optional<std::int64_t> stopped;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0)
        stopped = std::int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
    auto opened = Journal::open(file);
    if (!opened) return Err{opened.error().to_string()};
    ReplayResult r = replay(opened->records);
    if (r.snapshot.node_id && *r.snapshot.node_id != id)
        return Err{"journal " + file.string() + " belongs to node " + hex(*r.snapshot.node_id) +
                   ", not to this identity's " + hex(id)};
    std::unique_ptr<MailboxPersistence> p(
        new MailboxPersistence(std::move(opened->journal), id, log));
    p->stats_.recovery = opened->recovery;
    p->stats_.replay = r.stats;
    p->replayed_ = std::move(r.snapshot);
    p->stopped_unix_ms_ = stopped;
    const auto& rec = p->stats_.recovery;
    if (rec.bytes_dropped > 0)
        log.warn("journal", "truncated a damaged tail of ", rec.bytes_dropped, " bytes (",
                 rec.drop_reason, ") after ", rec.records_ok, " good records");
    if (r.stats.garbled > 0 || r.stats.unknown_kind > 0)
        log.warn("journal", "skipped ", r.stats.garbled, " garbled and ", r.stats.unknown_kind,
                 " unknown records");
    return p;
}

void MailboxPersistence::restore_into(mailbox::Mailbox& mailbox, TimePoint now) {
    for (const auto& [topic, t] : replayed_.topics) {
        // Adopted with the same checks as live input: a lowered capacity drops the excess.
        if (mailbox.adopt_topic(topic, now) == mailbox::AdoptResult::refused_full) continue;
        ++stats_.restored_topics;
        for (const auto& [node, endpoint] : t.links)
            if (mailbox.link(topic, mailbox::MailboxRef{node, endpoint}) ==
                mailbox::LinkResult::linked)
                ++stats_.restored_links;
        for (const auto& [client, reg] : t.registrations)
            if (mailbox.restore_registration(topic, client, reg.home, reg.expires_unix_ms, now))
                ++stats_.restored_registrations;
        for (const auto& e : t.events)
            // Arrived when published (store_event takes no arrival later than now), as far as
            // polls are concerned: with the restart's time, every poll's `since` let the whole
            // restored history through again.
            if (mailbox.store_event(e, now, mailbox.wall_clock().from_unix_ms(e.timestamp_ms)) ==
                mailbox::StoreResult::stored)
                ++stats_.restored_events;
    }
    replayed_ = {};
    mailbox_ = &mailbox;
    log_.info("journal", "restored ", stats_.restored_topics, " topics, ", stats_.restored_events,
              " events, ", stats_.restored_registrations, " registrations, ", stats_.restored_links,
              " links from ", stats_.recovery.records_ok, " records");
    // Start from a compact journal of exactly what the mailbox kept (expired events and lapsed
    // registrations are gone), with this node's identity in it.
    compact();
    mailbox.set_observer(this);
}

void MailboxPersistence::compact() {
    if (!mailbox_) return;
    const auto records = snapshot_records(snapshot_of(*mailbox_, id_));
    if (auto r = journal_.rewrite(records); !r) {
        ++stats_.compaction_errors;
        log_.error("journal", "compaction failed: ", r.error().to_string());
        return;
    }
    ++stats_.compactions;
    size_after_compaction_ = journal_.size_bytes();
    // rewrite() fsyncs the new file: everything in it is durable.
    dirty_ = false;
    events_unsynced_ = false;
}

void MailboxPersistence::append(const MailboxRecord& record) {
    if (!mailbox_) return;
    const Bytes bytes = encode_record(record);
    if (auto r = journal_.append(bytes); !r) {
        // The first failure and every 1000th: a full disk must not flood the log.
        if (stats_.append_errors++ % 1000 == 0)
            log_.error("journal", "append failed (", stats_.append_errors,
                       " so far): ", r.error().to_string());
        return;
    }
    ++stats_.records_appended;
    stats_.bytes_appended += bytes.size();
    if (!dirty_) {
        dirty_ = true;
        first_unsynced_ = Clock::now();
    }
}

void MailboxPersistence::sync(TimePoint /*now*/) {
    if (dirty_) {
        if (auto r = journal_.sync(); !r) {
            if (stats_.sync_errors++ % 1000 == 0)
                log_.error("journal", "sync failed (", stats_.sync_errors,
                           " so far): ", r.error().to_string());
        } else {
            ++stats_.syncs;
        }
        // Not retried at once on failure: the next append marks it dirty again.
        dirty_ = false;
        events_unsynced_ = false;
    }
    const std::uint64_t size = journal_.size_bytes();
    if (size >= compact_min_bytes && size > compact_factor * size_after_compaction_) compact();
}

void MailboxPersistence::detach() {
    if (mailbox_) mailbox_->set_observer(nullptr);
    mailbox_ = nullptr;
}

void MailboxPersistence::topic_adopted(const std::string& topic) {
    append(TopicAdopted{topic});
}

void MailboxPersistence::topic_dropped(const std::string& topic,
                                       mailbox::EvaporationReason reason) {
    if (reason == mailbox::EvaporationReason::shutdown) return;  // see the header
    append(TopicDropped{topic});
}

void MailboxPersistence::event_stored(const wire::Event& event) {
    append(EventStored{event});
    if (mailbox_) events_unsynced_ = true;
}

void MailboxPersistence::registration_set(const std::string& topic, const mailbox::ClientId& client,
                                          const Endpoint& home, std::int64_t expires_unix_ms) {
    append(Registration{topic, client, home, expires_unix_ms});
}

void MailboxPersistence::registration_dropped(const std::string& topic,
                                              const mailbox::ClientId& client) {
    append(RegistrationDropped{topic, client});
}

void MailboxPersistence::linked(const std::string& topic, const mailbox::MailboxRef& other) {
    append(Link{topic, other.id, other.endpoint});
}

void MailboxPersistence::unlinked(const std::string& topic, const NodeId& other) {
    append(Unlink{topic, other});
}

}  // namespace elmo::daemon
