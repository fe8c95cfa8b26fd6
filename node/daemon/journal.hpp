#pragma once
// A crash-safe append-only journal of opaque records in one file (docs/daemon.md, "Journal").
//
//   file   := magic (8 bytes: "ELMOJNL" 0x01) record*
//   record := length (u32 LE) crc (u32 LE) payload (length bytes)
//   crc    := CRC-32C of the 4 length bytes followed by the payload
//
// A kill -9 or power loss can leave the last record torn (short, or with garbage or zeros in
// it); a bad disk block can corrupt one in the middle. open() reads records until the first one
// that is short, has a length of 0 or over max_record_bytes, or fails its CRC; it truncates the
// file there, so that later appends follow the good prefix and stay readable, and reports how
// much it dropped. The length is inside the CRC so that a zero-filled tail (what some
// filesystems leave after a crash) never reads as valid empty records.
//
// Durability is the caller's choice: append() hands the bytes to the kernel, sync() makes them
// durable. rewrite() replaces the whole file atomically (compaction). Every filesystem failure is
// a JournalError value naming the operation, the path and the errno text.
//
// One process per journal file: the daemon locks its data directory (two writers would
// interleave records).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace elmo::daemon {

enum class JournalErrc : std::uint8_t {
    io,             // a system call failed (errno in `sys_errno`)
    not_a_journal,  // the file exists but does not start with the journal magic: left untouched
    bad_record,     // append of an empty record or one over max_record_bytes
    broken,         // an earlier failed write could not be rolled back; reopen the journal
};

struct JournalError {
    JournalErrc code = JournalErrc::io;
    std::string op;      // "open", "read", "write", "fsync", "truncate", "rename", ...
    std::string path;
    int sys_errno = 0;   // 0 unless code == io
    std::string detail;  // strerror(sys_errno) or what was wrong

    // "journal write /data/mailbox.journal: No space left on device"
    std::string to_string() const;
};

// What open() found.
struct JournalRecovery {
    std::size_t records_ok = 0;        // good records read
    std::uint64_t bytes_dropped = 0;   // bytes truncated at the first bad record (0: clean)
    std::string drop_reason;           // empty when clean: "short header", "bad crc", ...
    bool created = false;              // the file did not exist (or held only a torn magic)
};

class Journal {
public:
    static constexpr std::size_t magic_bytes = 8;
    static constexpr std::size_t header_bytes = 8;  // per record: length + crc
    // Bounds what one record may be and what open() allocates for a length read from disk. An
    // event is at most ~17 KiB encoded; a registration or link a few hundred bytes.
    static constexpr std::size_t max_record_bytes = std::size_t{1} << 20;

    struct Opened;
    // Opens (creating it and its parent directories if missing) the journal at `file`, returns
    // its good records in order and the recovery report. A leftover temporary file of an
    // interrupted rewrite() is removed: the rename never happened, so it was never the journal.
    static Result<Opened, JournalError> open(const std::filesystem::path& file);

    Journal(Journal&& other) noexcept;
    Journal& operator=(Journal&& other) noexcept;
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;
    ~Journal();

    // Appends one record (1..max_record_bytes bytes). Not durable until sync(). On a failed or
    // short write the file is truncated back to the last whole record, so a later append is
    // still readable; if even that fails the journal refuses further writes (`broken`).
    Result<Unit, JournalError> append(ByteView payload);
    // Appends several records with one write (all or none, as for append()).
    Result<Unit, JournalError> append_all(std::span<const Bytes> payloads);
    // Makes every appended record durable (fdatasync).
    Result<Unit, JournalError> sync();
    // Replaces the journal's content with `records`, atomically: written to `file`.tmp, fsynced,
    // renamed over `file`, and the directory fsynced. Before the rename the old journal is
    // untouched and stays in use on failure; a crash at any point leaves either the whole old or
    // the whole new journal.
    Result<Unit, JournalError> rewrite(std::span<const Bytes> records);

    const std::filesystem::path& path() const { return path_; }
    // Bytes in the file, magic included.
    std::uint64_t size_bytes() const { return size_; }
    // Records in the file (read at open or since written).
    std::size_t record_count() const { return records_; }

private:
    Journal(int fd, std::filesystem::path path, std::uint64_t size, std::size_t records);
    Result<Unit, JournalError> write_records(std::span<const ByteView> payloads);
    void close_fd();

    int fd_ = -1;
    std::filesystem::path path_;
    std::uint64_t size_ = 0;
    std::size_t records_ = 0;
    bool broken_ = false;
};

struct Journal::Opened {
    Journal journal;
    std::vector<Bytes> records;
    JournalRecovery recovery;
};

// One record as it is laid out in the file (header and payload); exposed for tests and tools.
Bytes frame_record(ByteView payload);

}  // namespace elmo::daemon
