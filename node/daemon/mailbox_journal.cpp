#include "node/daemon/mailbox_journal.hpp"

#include <exception>
#include <new>
#include <set>
#include <utility>

#include "node/daemon/journal.hpp"
#include "wire/field_codec.hpp"

namespace elmo::daemon {

namespace {

using wire::DecodeError;
using wire::DecodeErrorCode;

// Bounds what msgpack may allocate for one record: nothing in it can be longer than the
// journal's own record bound, and records nest at most an event deep.
msgpack::unpack_limit record_limits() {
    return msgpack::unpack_limit(wire::limits::max_list_len, 16, Journal::max_record_bytes,
                                 Journal::max_record_bytes, 0, wire::limits::max_depth);
}

RecordError garbled(DecodeErrorCode code, const char* what) {
    return {RecordError::Code::garbled, DecodeError{code, what}};
}

template <class T>
bool try_read_as(std::uint16_t kind, const msgpack::object& body,
                 std::optional<Result<MailboxRecord, RecordError>>& out) {
    if (static_cast<std::uint16_t>(T::kind) != kind) return false;
    T rec{};
    if (auto e = wire::read_value(body, rec, "record"))
        out.emplace(Err{RecordError{RecordError::Code::garbled, *e}});
    else
        out.emplace(MailboxRecord{std::move(rec)});
    return true;
}

template <class... Ts>
std::optional<Result<MailboxRecord, RecordError>> read_body(std::variant<Ts...>*, std::uint16_t kind,
                                                            const msgpack::object& body) {
    std::optional<Result<MailboxRecord, RecordError>> out;
    (try_read_as<Ts>(kind, body, out) || ...);
    return out;
}

// The fold, one record at a time.
struct Folder {
    MailboxSnapshot& snap;
    ReplayStats& stats;
    // Event ids per held topic, for dedup (the snapshot keeps events in a vector for order).
    std::map<std::string, std::set<wire::EventId>> ids;

    SnapshotTopic* held(const std::string& topic) {
        auto it = snap.topics.find(topic);
        if (it != snap.topics.end()) return &it->second;
        ++stats.not_held;
        return nullptr;
    }

    void operator()(TopicAdopted& r) {
        snap.topics.try_emplace(r.topic);
        ++stats.applied;
    }
    void operator()(TopicDropped& r) {
        if (snap.topics.erase(r.topic) == 0) {
            ++stats.not_held;
            return;
        }
        ids.erase(r.topic);
        ++stats.applied;
    }
    void operator()(EventStored& r) {
        SnapshotTopic* t = held(r.event.topic);
        if (!t) return;
        if (!ids[r.event.topic].insert(r.event.id).second) {
            ++stats.duplicates;
            return;
        }
        t->events.push_back(std::move(r.event));
        ++stats.applied;
    }
    void operator()(Registration& r) {
        SnapshotTopic* t = held(r.topic);
        if (!t) return;
        t->registrations[std::move(r.client_id)] = {r.home, r.expires_unix_ms};
        ++stats.applied;
    }
    void operator()(RegistrationDropped& r) {
        SnapshotTopic* t = held(r.topic);
        if (!t) return;
        t->registrations.erase(r.client_id);
        ++stats.applied;
    }
    void operator()(Link& r) {
        SnapshotTopic* t = held(r.topic);
        if (!t) return;
        t->links[r.node] = r.endpoint;
        ++stats.applied;
    }
    void operator()(Unlink& r) {
        SnapshotTopic* t = held(r.topic);
        if (!t) return;
        t->links.erase(r.node);
        ++stats.applied;
    }
    void operator()(NodeIdentity& r) {
        snap.node_id = r.id;
        ++stats.applied;
    }
};

}  // namespace

Bytes encode_record(const MailboxRecord& record) {
    msgpack::sbuffer buf;
    wire::Packer pk(buf);
    pk.pack_array(3);
    pk.pack(mailbox_journal_version);
    std::visit(
        [&](const auto& r) {
            pk.pack(static_cast<std::uint16_t>(std::decay_t<decltype(r)>::kind));
            wire::pack_value(pk, r);
        },
        record);
    auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
    return Bytes(p, p + buf.size());
}

Result<MailboxRecord, RecordError> decode_record(ByteView bytes) {
    if (bytes.empty()) return Err{garbled(DecodeErrorCode::empty, "record")};
    if (bytes.size() > Journal::max_record_bytes)
        return Err{garbled(DecodeErrorCode::too_large, "record")};
    const char* data = reinterpret_cast<const char*>(bytes.data());
    std::size_t offset = 0;
    msgpack::object_handle handle;
    try {
        handle = msgpack::unpack(data, bytes.size(), offset, nullptr, nullptr, record_limits());
    } catch (const msgpack::insufficient_bytes&) {
        return Err{garbled(DecodeErrorCode::truncated, "msgpack")};
    } catch (const std::bad_alloc&) {
        return Err{garbled(DecodeErrorCode::too_large, "msgpack allocation")};
    } catch (const std::exception&) {
        // Also the size and depth overflows: a record this build could not have written.
        return Err{garbled(DecodeErrorCode::malformed, "msgpack")};
    }
    if (offset != bytes.size()) return Err{garbled(DecodeErrorCode::trailing_bytes, "record")};

    const msgpack::object& root = handle.get();
    if (root.type != msgpack::type::ARRAY || root.via.array.size != 3)
        return Err{garbled(DecodeErrorCode::bad_envelope, "record")};
    const msgpack::object& version = root.via.array.ptr[0];
    const msgpack::object& kind = root.via.array.ptr[1];
    if (version.type != msgpack::type::POSITIVE_INTEGER || kind.type != msgpack::type::POSITIVE_INTEGER)
        return Err{garbled(DecodeErrorCode::bad_envelope, "record")};
    // A later format or kind: written by a newer build, not damage.
    if (version.via.u64 != mailbox_journal_version || kind.via.u64 > 0xffff)
        return Err{RecordError{RecordError::Code::unknown_kind,
                               DecodeError{DecodeErrorCode::unknown_type, "record"}}};
    auto out = read_body(static_cast<MailboxRecord*>(nullptr),
                         static_cast<std::uint16_t>(kind.via.u64), root.via.array.ptr[2]);
    if (!out)
        return Err{RecordError{RecordError::Code::unknown_kind,
                               DecodeError{DecodeErrorCode::unknown_type, "record"}}};
    return std::move(*out);
}

ReplayResult replay(const std::vector<Bytes>& records) {
    ReplayResult out;
    Folder fold{out.snapshot, out.stats, {}};
    for (const Bytes& bytes : records) {
        auto rec = decode_record(bytes);
        if (!rec) {
            if (rec.error().code == RecordError::Code::unknown_kind) ++out.stats.unknown_kind;
            else ++out.stats.garbled;
            continue;
        }
        std::visit(fold, rec.value());
    }
    return out;
}

std::vector<Bytes> snapshot_records(const MailboxSnapshot& snapshot) {
    std::vector<Bytes> out;
    if (snapshot.node_id) out.push_back(encode_record(NodeIdentity{*snapshot.node_id}));
    for (const auto& [topic, t] : snapshot.topics) {
        out.push_back(encode_record(TopicAdopted{topic}));
        for (const auto& [node, endpoint] : t.links)
            out.push_back(encode_record(Link{topic, node, endpoint}));
        for (const auto& [client, reg] : t.registrations)
            out.push_back(encode_record(Registration{topic, client, reg.home, reg.expires_unix_ms}));
        for (const auto& e : t.events) out.push_back(encode_record(EventStored{e}));
    }
    return out;
}

}  // namespace elmo::daemon
