#pragma once
// The client's persistent state in a directory the app gives (docs/client-sdk.md,
// "Persistence"): an SQLite database (state.db, WAL, synchronous=FULL) holding the client id,
// the next sequence number, the subscriptions with their mailboxes and caught-up time, the seen
// ids per topic (bounded), the outbox and the learned nodes; and a lock file so that one process
// at a time owns the directory.
//
// The core is the state; the store follows it. sync(core) compares the core with what was last
// written and writes only the difference, in one transaction that is durable when sync returns
// (nothing changed: no transaction, no fsync). A kill -9 at any moment leaves the database at
// the last committed sync: a publication whose publish() returned (the SDK syncs before
// returning) is in the outbox, an acknowledged one is gone or is sent again (mailboxes dedup by
// id), and seen ids are at most one sync behind (an event received just before the kill may be
// handed to the app again after the restart: at-least-once across crashes, exactly once
// otherwise).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client-sdk/client_core.hpp"
#include "client-sdk/client_snapshot.hpp"
#include "client-sdk/store/sqlite_db.hpp"
#include "common/result.hpp"

namespace elmo::sdk::store {

struct StoreStats {
    std::uint64_t syncs = 0;         // transactions committed
    std::uint64_t rows_written = 0;  // inserted, updated or deleted
    std::uint64_t rows_skipped = 0;  // unreadable rows skipped by load()
    std::uint64_t errors = 0;        // failed transactions (rolled back)
};

class StateStore {
  public:
    // Creates the directory if needed, locks it (another process holding it is an error), opens
    // or creates the database.
    static Result<std::unique_ptr<StateStore>, std::string> open(const std::filesystem::path& dir);
    ~StateStore();
    StateStore(const StateStore&) = delete;
    StateStore& operator=(const StateStore&) = delete;

    // The stored client id; empty if none yet.
    Bytes client_id() const { return client_id_; }
    Result<Unit, std::string> set_client_id(const Bytes& id);
    // The stored state (rows that do not decode are skipped and counted).
    const ClientSnapshot& loaded() const { return loaded_; }

    // Writes what changed in `core` since the last sync (or since load for a core restored from
    // loaded()). `seen_capacity`: rows kept per topic (the core's seen_ids_per_topic).
    Result<Unit, std::string> sync(const ClientCore& core);

    const StoreStats& stats() const { return stats_; }
    const std::filesystem::path& dir() const { return dir_; }

  private:
    struct TopicRow {
        Bytes mailbox, known, cursor_mailbox;
        std::int64_t caught_up_ms = 0;
        std::uint64_t poll_cursor = 0;
        std::uint64_t seen_synced = 0;  // SeenIds::inserted() of the core at the last sync
        std::int64_t last_row = 0;      // highest seen row number of the topic
        friend bool operator==(const TopicRow&, const TopicRow&) = default;
    };
    StateStore(std::filesystem::path dir, int lock_fd, std::unique_ptr<Db> db)
        : dir_(std::move(dir)), lock_fd_(lock_fd), db_(std::move(db)) {}
    Result<Unit, std::string> init_schema();
    Result<Unit, std::string> load();
    Result<Unit, std::string> write(const ClientCore& core);
    static TopicRow row_of(const ClientCore::TopicState& t);

    std::filesystem::path dir_;
    int lock_fd_;
    std::unique_ptr<Db> db_;
    Bytes client_id_;
    ClientSnapshot loaded_;
    // What the database holds, as of the last commit.
    std::uint64_t next_seq_ = 1;
    std::map<std::string, TopicRow> topics_;
    std::set<wire::EventId> outbox_;
    std::vector<Endpoint> nodes_;
    StoreStats stats_;
};

}  // namespace elmo::sdk::store
