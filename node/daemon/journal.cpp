#include "node/daemon/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "node/daemon/crc32c.hpp"

namespace elmo::daemon {

namespace {

constexpr std::array<std::uint8_t, Journal::magic_bytes> magic = {'E', 'L', 'M', 'O',
                                                                  'J', 'N', 'L', 0x01};

std::string tmp_path_of(const std::filesystem::path& file) { return file.string() + ".tmp"; }

JournalError sys_error(std::string op, const std::filesystem::path& path, int e) {
    return {JournalErrc::io, std::move(op), path.string(), e, std::system_category().message(e)};
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_u32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
}

void append_frame(Bytes& out, ByteView payload) {
    const std::size_t at = out.size();
    out.resize(at + Journal::header_bytes + payload.size());
    std::uint8_t* h = out.data() + at;
    put_u32(h, static_cast<std::uint32_t>(payload.size()));
    put_u32(h + 4, crc32c(ByteView(h, 4), payload));
    if (!payload.empty()) std::memcpy(h + Journal::header_bytes, payload.data(), payload.size());
}

bool valid_size(std::size_t n) { return n > 0 && n <= Journal::max_record_bytes; }

// Writes all of `data` at `offset`, retrying on EINTR and short writes. Returns 0 or an errno.
int pwrite_all(int fd, const std::uint8_t* data, std::size_t len, std::uint64_t offset) {
    while (len > 0) {
        ssize_t n = ::pwrite(fd, data, len, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return EIO;
        data += n;
        len -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return 0;
}

// Reads up to `len` bytes at `offset`; fewer only at end of file. Returns bytes read or -errno.
long long pread_full(int fd, std::uint8_t* data, std::size_t len, std::uint64_t offset) {
    std::size_t got = 0;
    while (got < len) {
        ssize_t n = ::pread(fd, data + got, len - got, static_cast<off_t>(offset + got));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -static_cast<long long>(errno);
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    return static_cast<long long>(got);
}

int fsync_retry(int fd) {
    while (::fsync(fd) != 0) {
        if (errno != EINTR) return errno;
    }
    return 0;
}

int ftruncate_retry(int fd, std::uint64_t size) {
    while (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
        if (errno != EINTR) return errno;
    }
    return 0;
}

// A rename or a file creation is durable only once its directory is.
Result<Unit, JournalError> sync_dir(const std::filesystem::path& file) {
    std::filesystem::path dir = file.parent_path();
    if (dir.empty()) dir = ".";
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Err{sys_error("open directory", dir, errno)};
    int e = fsync_retry(fd);
    ::close(fd);
    if (e != 0) return Err{sys_error("fsync directory", dir, e)};
    return unit;
}

// Reads the records after the magic, ahead in large chunks (one pread per chunk, not per record).
class RecordScanner {
public:
    RecordScanner(int fd, std::uint64_t file_size) : fd_(fd), file_size_(file_size) {}

    // The next good record into `out`; false at the end or at the first bad record (reason()
    // says which; empty at a clean end). Negative errno in error() on a read failure.
    bool next(Bytes& out) {
        const std::uint64_t left = file_size_ - good_end_;
        if (left == 0) return false;
        if (left < Journal::header_bytes) return stop("short header");
        std::array<std::uint8_t, Journal::header_bytes> h{};
        if (!read(good_end_, h.data(), h.size())) return false;
        const std::uint32_t len = get_u32(h.data());
        if (!valid_size(len)) return stop(len == 0 ? "zero length" : "length over maximum");
        if (left - Journal::header_bytes < len) return stop("short payload");
        out.resize(len);
        if (!read(good_end_ + Journal::header_bytes, out.data(), len)) return false;
        if (crc32c(ByteView(h.data(), 4), out) != get_u32(h.data() + 4)) return stop("bad crc");
        good_end_ += Journal::header_bytes + len;
        return true;
    }
    std::uint64_t good_end() const { return good_end_; }
    const char* reason() const { return reason_; }
    int error() const { return errno_; }

private:
    bool stop(const char* why) {
        reason_ = why;
        return false;
    }
    // Copies [offset, offset + len) from the read-ahead window, refilling it as needed.
    bool read(std::uint64_t offset, std::uint8_t* dst, std::size_t len) {
        while (len > 0) {
            if (offset < win_at_ || offset >= win_at_ + win_.size()) {
                win_.resize(chunk);
                long long n = pread_full(fd_, win_.data(), chunk, offset);
                if (n <= 0) {
                    errno_ = n < 0 ? static_cast<int>(-n) : EIO;  // 0: the file shrank under us
                    win_.clear();
                    return false;
                }
                win_.resize(static_cast<std::size_t>(n));
                win_at_ = offset;
            }
            const std::size_t skip = static_cast<std::size_t>(offset - win_at_);
            const std::size_t n = std::min(len, win_.size() - skip);
            std::memcpy(dst, win_.data() + skip, n);
            dst += n;
            len -= n;
            offset += n;
        }
        return true;
    }

    static constexpr std::size_t chunk = 256 * 1024;
    int fd_;
    std::uint64_t file_size_;
    std::uint64_t good_end_ = Journal::magic_bytes;
    Bytes win_;
    std::uint64_t win_at_ = 0;
    const char* reason_ = "";
    int errno_ = 0;
};

// Writes the magic into an empty file and makes it durable, with its directory entry.
Result<Unit, JournalError> init_file(int fd, const std::filesystem::path& file) {
    if (int e = pwrite_all(fd, magic.data(), magic.size(), 0)) return Err{sys_error("write", file, e)};
    if (int e = fsync_retry(fd)) return Err{sys_error("fsync", file, e)};
    return sync_dir(file);
}

}  // namespace

std::string JournalError::to_string() const {
    return "journal " + op + " " + path + ": " + detail;
}

Bytes frame_record(ByteView payload) {
    Bytes out;
    append_frame(out, payload);
    return out;
}

Journal::Journal(int fd, std::filesystem::path path, std::uint64_t size, std::size_t records)
    : fd_(fd), path_(std::move(path)), size_(size), records_(records) {}

Journal::Journal(Journal&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      size_(other.size_),
      records_(other.records_),
      broken_(other.broken_) {}

Journal& Journal::operator=(Journal&& other) noexcept {
    if (this != &other) {
        close_fd();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
        size_ = other.size_;
        records_ = other.records_;
        broken_ = other.broken_;
    }
    return *this;
}

Journal::~Journal() { close_fd(); }

void Journal::close_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Result<Journal::Opened, JournalError> Journal::open(const std::filesystem::path& file) {
    if (file.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec) return Err{sys_error("create directory", file.parent_path(), ec.value())};
    }
    const std::string tmp = tmp_path_of(file);
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return Err{sys_error("unlink", tmp, errno)};

    JournalRecovery recovery;
    int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        recovery.created = true;
    }
    if (fd < 0) return Err{sys_error("open", file, errno)};
    // Owns fd until the Journal does.
    Journal j(fd, file, 0, 0);

    struct stat st {};
    if (::fstat(fd, &st) != 0) return Err{sys_error("stat", file, errno)};
    if (!S_ISREG(st.st_mode))
        return Err{JournalError{JournalErrc::not_a_journal, "open", file.string(), 0,
                                "not a regular file"}};
    const auto file_size = static_cast<std::uint64_t>(st.st_size);

    std::array<std::uint8_t, magic_bytes> head{};
    long long got = pread_full(fd, head.data(), head.size(), 0);
    if (got < 0) return Err{sys_error("read", file, static_cast<int>(-got))};
    const auto n = static_cast<std::size_t>(got);
    if (!std::equal(head.begin(), head.begin() + static_cast<long>(n), magic.begin()))
        return Err{JournalError{JournalErrc::not_a_journal, "open", file.string(), 0,
                                "no journal magic at the start of the file"}};
    if (n < magic_bytes) {
        // Empty, or a creation torn before its magic was durable: start afresh.
        if (int e = ftruncate_retry(fd, 0)) return Err{sys_error("truncate", file, e)};
        if (auto r = init_file(fd, file); !r) return Err{r.error()};
        recovery.created = true;
        j.size_ = magic_bytes;
        return Opened{std::move(j), {}, recovery};
    }

    std::vector<Bytes> records;
    RecordScanner scan(fd, file_size);
    Bytes rec;
    while (scan.next(rec)) records.push_back(std::move(rec));
    if (scan.error() != 0) return Err{sys_error("read", file, scan.error())};

    if (scan.good_end() < file_size) {
        // Cut at the first bad record so that what is appended next follows good records.
        if (int e = ftruncate_retry(fd, scan.good_end())) return Err{sys_error("truncate", file, e)};
        if (int e = fsync_retry(fd)) return Err{sys_error("fsync", file, e)};
        recovery.bytes_dropped = file_size - scan.good_end();
        recovery.drop_reason = scan.reason();
    }
    recovery.records_ok = records.size();
    j.size_ = scan.good_end();
    j.records_ = records.size();
    return Opened{std::move(j), std::move(records), recovery};
}

Result<Unit, JournalError> Journal::append(ByteView payload) {
    return write_records(std::span<const ByteView>(&payload, 1));
}

Result<Unit, JournalError> Journal::append_all(std::span<const Bytes> payloads) {
    std::vector<ByteView> views(payloads.begin(), payloads.end());
    return write_records(views);
}

Result<Unit, JournalError> Journal::write_records(std::span<const ByteView> payloads) {
    if (fd_ < 0 || broken_)
        return Err{JournalError{JournalErrc::broken, "append", path_.string(), 0,
                                "an earlier write failed and could not be undone; reopen"}};
    std::size_t total = 0;
    for (const ByteView& p : payloads) {
        if (!valid_size(p.size()))
            return Err{JournalError{JournalErrc::bad_record, "append", path_.string(), 0,
                                    "record of " + std::to_string(p.size()) +
                                        " bytes (must be 1.." +
                                        std::to_string(max_record_bytes) + ")"}};
        total += header_bytes + p.size();
    }
    Bytes buf;
    buf.reserve(total);
    for (const ByteView& p : payloads) append_frame(buf, p);
    if (int e = pwrite_all(fd_, buf.data(), buf.size(), size_)) {
        // A partial record left in place would hide every later append from the next open().
        if (ftruncate_retry(fd_, size_) != 0) broken_ = true;
        return Err{sys_error("write", path_, e)};
    }
    size_ += buf.size();
    records_ += payloads.size();
    return unit;
}

Result<Unit, JournalError> Journal::sync() {
    if (fd_ < 0) return Err{JournalError{JournalErrc::broken, "fsync", path_.string(), 0, "closed"}};
    // fdatasync also flushes the file size, which is all the metadata a reader needs.
    while (::fdatasync(fd_) != 0) {
        if (errno != EINTR) return Err{sys_error("fsync", path_, errno)};
    }
    return unit;
}

Result<Unit, JournalError> Journal::rewrite(std::span<const Bytes> records) {
    if (fd_ < 0) return Err{JournalError{JournalErrc::broken, "rewrite", path_.string(), 0, "closed"}};
    for (const Bytes& r : records)
        if (!valid_size(r.size()))
            return Err{JournalError{JournalErrc::bad_record, "rewrite", path_.string(), 0,
                                    "record of " + std::to_string(r.size()) + " bytes"}};
    const std::string tmp = tmp_path_of(path_);
    int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Err{sys_error("open", tmp, errno)};
    auto fail = [&](JournalError e) -> Result<Unit, JournalError> {
        ::close(fd);
        ::unlink(tmp.c_str());
        return Err{std::move(e)};
    };

    // Written in chunks of about 1 MiB: compaction of a large state must not double its memory.
    std::uint64_t size = 0;
    Bytes buf(magic.begin(), magic.end());
    std::size_t i = 0;
    while (true) {
        while (i < records.size() && buf.size() < (std::size_t{1} << 20)) append_frame(buf, records[i++]);
        if (int e = pwrite_all(fd, buf.data(), buf.size(), size)) return fail(sys_error("write", tmp, e));
        size += buf.size();
        buf.clear();
        if (i == records.size()) break;
    }
    if (int e = fsync_retry(fd)) return fail(sys_error("fsync", tmp, e));
    if (::rename(tmp.c_str(), path_.c_str()) != 0) return fail(sys_error("rename", tmp, errno));

    // From here the new file is the journal, whatever happens next.
    close_fd();
    fd_ = fd;
    size_ = size;
    records_ = records.size();
    broken_ = false;
    return sync_dir(path_);
}

}  // namespace elmo::daemon
