#pragma once
// The daemon's durable mailbox state (docs/daemon.md, "Journal"): at start-up it opens
// DATA_DIR/mailbox.journal, replays it, checks it belongs to this node, feeds the snapshot to
// the node core's fresh Mailbox and compacts the journal to that state; from then on it is the
// Mailbox's ChangeObserver and appends one record per change.
//
// Group commit: appends go to the kernel at once (a kill -9 loses nothing appended); sync()
// (fdatasync) runs at most sync_interval after the first unsynced append, and before an answer
// that promises a stored event leaves (the daemon holds such answers while events_unsynced()).
// A failed append or sync is logged and counted; the node keeps serving from memory (its
// durability is then degraded, which the metrics show).
//
// A topic given up at a graceful shutdown is not journaled as dropped: the hand-off to another
// mailbox is best effort, and the restarted node resumes the topic with its history rather than
// lose it when no other mailbox took it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/node_id.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "mailbox/change_observer.hpp"
#include "mailbox/mailbox.hpp"
#include "node/daemon/journal.hpp"
#include "node/daemon/log.hpp"
#include "node/daemon/mailbox_journal.hpp"

namespace elmo::daemon {

struct PersistenceStats {
    std::uint64_t records_appended = 0;
    std::uint64_t bytes_appended = 0;
    std::uint64_t append_errors = 0;
    std::uint64_t syncs = 0;
    std::uint64_t sync_errors = 0;
    std::uint64_t compactions = 0;
    std::uint64_t compaction_errors = 0;
    // At start-up.
    JournalRecovery recovery;
    ReplayStats replay;
    std::uint64_t restored_topics = 0;
    std::uint64_t restored_events = 0;  // stored again (expired ones are not)
    std::uint64_t restored_registrations = 0;
    std::uint64_t restored_links = 0;
};

// A snapshot of a live Mailbox's durable state (for compaction).
MailboxSnapshot snapshot_of(const mailbox::Mailbox& mailbox, const NodeId& id);

class MailboxPersistence final : public mailbox::ChangeObserver {
  public:
    static constexpr Duration sync_interval = std::chrono::milliseconds(100);
    static constexpr std::uint64_t compact_min_bytes = 8u << 20;
    static constexpr std::uint64_t compact_factor = 4;

    // Opens and replays the journal at `file`. Refuses a journal that names another node id.
    static Result<std::unique_ptr<MailboxPersistence>, std::string> open(
        const std::filesystem::path& file, const NodeId& id, const Log& log);

    // Feeds the replayed state into `mailbox` (a fresh one, its wall clock set), compacts the
    // journal to what the mailbox kept, and starts observing it.
    void restore_into(mailbox::Mailbox& mailbox, TimePoint now);

    // ChangeObserver
    void topic_adopted(const std::string& topic) override;
    void topic_dropped(const std::string& topic, mailbox::EvaporationReason reason) override;
    void event_stored(const wire::Event& event) override;
    void registration_set(const std::string& topic, const mailbox::ClientId& client,
                          const Endpoint& home, std::int64_t expires_unix_ms) override;
    void registration_dropped(const std::string& topic, const mailbox::ClientId& client) override;
    void linked(const std::string& topic, const mailbox::MailboxRef& other) override;
    void unlinked(const std::string& topic, const NodeId& other) override;

    // Appended records not yet synced; an event among them.
    bool dirty() const { return dirty_; }
    bool events_unsynced() const { return events_unsynced_; }
    // When the group commit is due (TimePoint::max() when nothing is unsynced).
    TimePoint sync_due() const {
        return dirty_ ? first_unsynced_ + sync_interval : TimePoint::max();
    }
    // Syncs if dirty; compacts if the journal has grown enough. `now` is the caller's clock.
    void sync(TimePoint now);
    // Stops journaling (after the final sync of a graceful exit).
    void detach();

    const PersistenceStats& stats() const { return stats_; }
    std::uint64_t journal_bytes() const { return journal_.size_bytes(); }
    // When the previous run last wrote its journal (wall ms), if there was one: about when that
    // run stopped (NodeCore::topics_restored).
    std::optional<std::int64_t> stopped_unix_ms() const { return stopped_unix_ms_; }

  private:
    MailboxPersistence(Journal journal, NodeId id, const Log& log);
    void append(const MailboxRecord& record);
    void compact();

    Journal journal_;
    NodeId id_;
    const Log& log_;
    MailboxSnapshot replayed_;
    std::optional<std::int64_t> stopped_unix_ms_;
    mailbox::Mailbox* mailbox_ = nullptr;
    bool dirty_ = false;
    bool events_unsynced_ = false;
    TimePoint first_unsynced_{};  // read from the steady clock (a driver may read clocks)
    std::uint64_t size_after_compaction_ = 0;
    PersistenceStats stats_;
};

}  // namespace elmo::daemon
