#include "client-sdk/store/state_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "client-sdk/store/state_codec.hpp"

namespace elmo::sdk::store {
namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY, mailbox BLOB NOT NULL, known BLOB NOT NULL,
  caught_up_ms INTEGER NOT NULL, cursor_mailbox BLOB NOT NULL, poll_cursor INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen (
  topic TEXT NOT NULL, n INTEGER NOT NULL, id BLOB NOT NULL, PRIMARY KEY (topic, n));
CREATE TABLE IF NOT EXISTS outbox (
  k INTEGER PRIMARY KEY AUTOINCREMENT, id BLOB NOT NULL UNIQUE, event BLOB NOT NULL);
)sql";

Bytes u64_bytes(std::uint64_t v) {
    Bytes b(8);
    for (int i = 0; i < 8; ++i)
        b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
    return b;
}

std::uint64_t bytes_u64(const Bytes& b) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8 && i < b.size(); ++i) v = (v << 8) | b[i];
    return v;
}

ByteView view(const wire::EventId& id) {
    return {id.data(), id.size()};
}

std::string fail(const std::string& op, const std::string& msg) {
    return "state store " + op + ": " + msg;
}

}  // namespace

Result<std::unique_ptr<StateStore>, std::string> StateStore::open(
    const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Err{fail("create " + dir.string(), ec.message())};
    std::string lock_path = (dir / "lock").string();
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Err{fail("open " + lock_path, std::strerror(errno))};
    // Two processes driving one client state would send each other's outbox and fight over the
    // seen ids: the second is refused. The lock dies with the process (kill -9 included).
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return Err{fail("lock " + lock_path, "the state directory is in use by another process")};
    }
    auto db = Db::open((dir / "state.db").string());
    if (!db) {
        ::close(fd);
        return Err{fail("open", db.error())};
    }
    std::unique_ptr<StateStore> s(new StateStore(dir, fd, std::move(*db)));
    if (auto r = s->init_schema(); !r) return Err{r.error()};
    if (auto r = s->load(); !r) return Err{r.error()};
    return s;
}

StateStore::~StateStore() {
    db_.reset();
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<Unit, std::string> StateStore::init_schema() {
    // WAL: a commit appends to the log (no rewrite in place), and with synchronous=FULL the log
    // is fsynced at every commit, so a committed sync survives a kill -9 and a power cut; a torn
    // last frame fails its checksum and is ignored on open.
    for (const char* sql :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=2000"})
        if (auto r = db_->exec(sql); !r) return Err{fail(sql, r.error())};
    if (auto r = db_->exec(schema); !r) return Err{fail("schema", r.error())};
    return unit;
}

Result<Unit, std::string> StateStore::load() {
    auto meta = db_->prepare("SELECT key, value FROM meta");
    if (!meta) return Err{fail("load", meta.error())};
    for (;;) {
        auto row = meta->step();
        if (!row) return Err{fail("load meta", row.error())};
        if (!*row) break;
        std::string key = meta->text_at(0);
        Bytes value = meta->blob_at(1);
        if (key == "client_id")
            client_id_ = value;
        else if (key == "next_seq")
            next_seq_ = std::max<std::uint64_t>(1, bytes_u64(value));
        else if (key == "nodes") {
            if (auto n = decode_endpoints(value))
                nodes_ = *n;
            else
                ++stats_.rows_skipped;
        }
    }
    loaded_.next_seq = next_seq_;
    loaded_.nodes = nodes_;

    auto topics = db_->prepare(
        "SELECT name, mailbox, known, caught_up_ms, cursor_mailbox, poll_cursor FROM topics "
        "ORDER BY name");
    if (!topics) return Err{fail("load", topics.error())};
    auto seen = db_->prepare("SELECT n, id FROM seen WHERE topic = ? ORDER BY n");
    if (!seen) return Err{fail("load", seen.error())};
    for (;;) {
        auto row = topics->step();
        if (!row) return Err{fail("load topics", row.error())};
        if (!*row) break;
        ClientSnapshot::Topic t;
        TopicRow cached;
        t.name = topics->text_at(0);
        cached.mailbox = topics->blob_at(1);
        cached.known = topics->blob_at(2);
        cached.caught_up_ms = topics->int_at(3);
        cached.cursor_mailbox = topics->blob_at(4);
        cached.poll_cursor = static_cast<std::uint64_t>(topics->int_at(5));
        auto mailbox = decode_addrs(cached.mailbox);
        auto known = decode_addrs(cached.known);
        if (mailbox && mailbox->size() == 1) t.mailbox = (*mailbox)[0];
        if (known) t.known = *known;
        if (!mailbox || !known) ++stats_.rows_skipped;
        t.caught_up_ms = cached.caught_up_ms;
        if (cached.cursor_mailbox.size() == t.cursor_mailbox.size())
            std::copy(cached.cursor_mailbox.begin(), cached.cursor_mailbox.end(),
                      t.cursor_mailbox.begin());
        t.poll_cursor = cached.poll_cursor;
        seen->bind(1, t.name);
        for (;;) {
            auto s = seen->step();
            if (!s) return Err{fail("load seen", s.error())};
            if (!*s) break;
            cached.last_row = seen->int_at(0);
            Bytes id = seen->blob_at(1);
            wire::EventId eid{};
            if (id.size() != eid.size()) {
                ++stats_.rows_skipped;
                continue;
            }
            std::copy(id.begin(), id.end(), eid.begin());
            t.seen.push_back(eid);
        }
        seen->reset();
        cached.seen_synced = t.seen.size();  // what a core restored from this inserts
        topics_[t.name] = cached;
        loaded_.topics.push_back(std::move(t));
    }

    auto outbox = db_->prepare("SELECT k, id, event FROM outbox ORDER BY k");
    if (!outbox) return Err{fail("load", outbox.error())};
    std::vector<std::int64_t> bad;
    for (;;) {
        auto row = outbox->step();
        if (!row) return Err{fail("load outbox", row.error())};
        if (!*row) break;
        auto e = decode_event(outbox->blob_at(2));
        Bytes id = outbox->blob_at(1);
        if (!e || !std::equal(id.begin(), id.end(), e->id.begin(), e->id.end())) {
            bad.push_back(outbox->int_at(0));  // unreadable: nothing could ever send it
            continue;
        }
        outbox_.insert(e->id);
        loaded_.outbox.push_back(std::move(*e));
    }
    stats_.rows_skipped += bad.size();
    if (!bad.empty()) {
        auto del = db_->prepare("DELETE FROM outbox WHERE k = ?");
        if (!del) return Err{fail("load", del.error())};
        for (auto k : bad)
            if (auto r = del->bind(1, k).run(); !r) return Err{fail("load", r.error())};
    }
    return unit;
}

Result<Unit, std::string> StateStore::set_client_id(const Bytes& id) {
    auto st = db_->prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('client_id', ?)");
    if (!st) return Err{fail("client id", st.error())};
    st->bind(1, ByteView(id));
    if (auto r = st->run(); !r) return Err{fail("client id", r.error())};
    client_id_ = id;
    return unit;
}

StateStore::TopicRow StateStore::row_of(const ClientCore::TopicState& t) {
    TopicRow r;
    r.mailbox = encode_addrs({t.mailbox});
    r.known = encode_addrs(t.known_mailboxes);
    r.caught_up_ms = t.caught_up_ms;
    r.cursor_mailbox.assign(t.cursor_mailbox.begin(), t.cursor_mailbox.end());
    r.poll_cursor = t.poll_cursor;
    return r;
}

Result<Unit, std::string> StateStore::sync(const ClientCore& core) {
    // Cheap checks first: most calls change nothing durable (a timer, a renewal).
    bool dirty = core.next_seq() != next_seq_ || core.topics().size() != topics_.size() ||
                 core.outbox_size() != outbox_.size() || core.nodes().learned() != nodes_;
    if (!dirty) {
        for (const auto& [name, t] : core.topics()) {
            auto it = topics_.find(name);
            if (it == topics_.end() || t.seen.inserted() != it->second.seen_synced) {
                dirty = true;
                break;
            }
            TopicRow r = row_of(t);
            r.seen_synced = it->second.seen_synced;
            r.last_row = it->second.last_row;
            if (!(r == it->second)) {
                dirty = true;
                break;
            }
        }
    }
    if (!dirty)
        for (const auto& [key, e] : core.outbox().entries())
            if (!outbox_.contains(e.event.id)) {
                dirty = true;
                break;
            }
    if (!dirty) return unit;

    // The caches are updated only once the commit succeeded: a failed transaction is retried
    // whole by the next sync.
    auto saved_topics = topics_;
    auto saved_outbox = outbox_;
    auto saved_nodes = nodes_;
    auto saved_seq = next_seq_;
    if (auto r = db_->exec("BEGIN IMMEDIATE"); !r) {
        ++stats_.errors;
        return Err{fail("begin", r.error())};
    }
    auto r = write(core);
    if (r) r = db_->exec("COMMIT");
    if (!r) {
        (void)db_->exec("ROLLBACK");
        topics_ = std::move(saved_topics);
        outbox_ = std::move(saved_outbox);
        nodes_ = std::move(saved_nodes);
        next_seq_ = saved_seq;
        ++stats_.errors;
        return Err{fail("sync", r.error())};
    }
    ++stats_.syncs;
    return unit;
}

Result<Unit, std::string> StateStore::write(const ClientCore& core) {
    auto prep = [&](const char* sql) { return db_->prepare(sql); };
    auto meta = prep("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    auto put_topic = prep(
        "INSERT OR REPLACE INTO topics (name, mailbox, known, caught_up_ms, cursor_mailbox, "
        "poll_cursor) VALUES (?, ?, ?, ?, ?, ?)");
    auto del_topic = prep("DELETE FROM topics WHERE name = ?");
    auto put_seen = prep("INSERT OR REPLACE INTO seen (topic, n, id) VALUES (?, ?, ?)");
    auto trim_seen = prep("DELETE FROM seen WHERE topic = ? AND n <= ?");
    auto put_out = prep("INSERT OR IGNORE INTO outbox (id, event) VALUES (?, ?)");
    auto del_out = prep("DELETE FROM outbox WHERE id = ?");
    for (auto* s : {&meta, &put_topic, &del_topic, &put_seen, &trim_seen, &put_out, &del_out})
        if (!*s) return Err{s->error()};
    auto run = [&](Stmt& s) -> Result<Unit, std::string> {
        ++stats_.rows_written;
        return s.run();
    };

    if (core.next_seq() != next_seq_) {
        meta->bind(1, std::string("next_seq")).bind(2, ByteView(u64_bytes(core.next_seq())));
        if (auto r = run(*meta); !r) return r;
        next_seq_ = core.next_seq();
    }
    if (auto learned = core.nodes().learned(); learned != nodes_) {
        meta->bind(1, std::string("nodes")).bind(2, ByteView(encode_endpoints(learned)));
        if (auto r = run(*meta); !r) return r;
        nodes_ = std::move(learned);
    }

    // Topics gone: their row and seen ids.
    for (auto it = topics_.begin(); it != topics_.end();) {
        if (core.topics().contains(it->first)) {
            ++it;
            continue;
        }
        del_topic->bind(1, it->first);
        if (auto r = run(*del_topic); !r) return r;
        trim_seen->bind(1, it->first).bind(2, std::numeric_limits<std::int64_t>::max());
        if (auto r = run(*trim_seen); !r) return r;
        it = topics_.erase(it);
    }
    const auto capacity = static_cast<std::int64_t>(core.params().seen_ids_per_topic);
    for (const auto& [name, t] : core.topics()) {
        TopicRow row = row_of(t);
        auto found = topics_.find(name);
        TopicRow& cached = found != topics_.end() ? found->second : topics_[name];
        if (t.seen.inserted() < cached.seen_synced) {
            // The topic was dropped and subscribed again between syncs: start its ids over.
            trim_seen->bind(1, name).bind(2, std::numeric_limits<std::int64_t>::max());
            if (auto r = run(*trim_seen); !r) return r;
            cached.seen_synced = 0;
        }
        row.seen_synced = cached.seen_synced;
        row.last_row = cached.last_row;
        if (!(row == cached) || found == topics_.end()) {
            put_topic->bind(1, name)
                .bind(2, ByteView(row.mailbox))
                .bind(3, ByteView(row.known))
                .bind(4, row.caught_up_ms)
                .bind(5, ByteView(row.cursor_mailbox))
                .bind(6, static_cast<std::int64_t>(row.poll_cursor));
            if (auto r = run(*put_topic); !r) return r;
        }
        const auto& ids = t.seen.oldest_first();
        std::uint64_t fresh = t.seen.inserted() - row.seen_synced;
        std::size_t from =
            ids.size() - static_cast<std::size_t>(std::min<std::uint64_t>(fresh, ids.size()));
        for (std::size_t i = from; i < ids.size(); ++i) {
            put_seen->bind(1, name).bind(2, ++row.last_row).bind(3, view(ids[i]));
            if (auto r = run(*put_seen); !r) return r;
        }
        if (fresh > 0 && row.last_row > capacity) {
            trim_seen->bind(1, name).bind(2, row.last_row - capacity);
            if (auto r = run(*trim_seen); !r) return r;
        }
        row.seen_synced = t.seen.inserted();
        cached = row;
    }

    // The outbox: publications in publication order (AUTOINCREMENT keeps it), acknowledged gone.
    std::set<wire::EventId> now_in;
    for (const auto& [key, e] : core.outbox().entries()) {
        now_in.insert(e.event.id);
        if (outbox_.contains(e.event.id)) continue;
        put_out->bind(1, view(e.event.id)).bind(2, ByteView(encode_event(e.event)));
        if (auto r = run(*put_out); !r) return r;
    }
    for (const auto& id : outbox_) {
        if (now_in.contains(id)) continue;
        del_out->bind(1, view(id));
        if (auto r = run(*del_out); !r) return r;
    }
    outbox_ = std::move(now_in);
    return unit;
}

}  // namespace elmo::sdk::store
