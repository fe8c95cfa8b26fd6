#include "traces/trace_io.hpp"

#include <zlib.h>

#include <unistd.h>
#include <charconv>
#include <cstring>

namespace elmo::traces {
namespace {

gzFile gz(const GzHandle& h) {
    return static_cast<gzFile>(h.get());
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

void GzCloser::operator()(void* f) const {
    if (f) gzclose(static_cast<gzFile>(f));
}

Result<TraceReader, ParseError> TraceReader::open(const std::string& path) {
    gzFile f = path == "-" ? gzdopen(dup(STDIN_FILENO), "rb") : gzopen(path.c_str(), "rb");
    if (!f)
        return Err{ParseError{0, ParseErrorKind::io_error,
                              "cannot open " + path + ": " + std::strerror(errno)}};
    gzbuffer(f, 1 << 18);
    TraceReader r;
    r.gz_.reset(f);
    // Header: leading comment lines of the form "# key: value" (or "# elmo-trace N").
    for (;;) {
        auto got = r.read_line();
        if (!got) {
            if (got.error().kind != ParseErrorKind::too_long) return Err{got.error()};
            continue;
        }
        if (!*got) break;
        std::string_view l = trim(r.line_buf_);
        if (l.empty()) continue;
        if (l.front() != '#') {
            r.pending_ = true;
            break;
        }
        l = trim(l.substr(1));
        if (l.starts_with("elmo-trace ")) {
            r.meta_["format"] = std::string(l);
            continue;
        }
        const auto colon = l.find(':');
        if (colon == std::string_view::npos) continue;  // a plain comment
        const std::string key(trim(l.substr(0, colon)));
        if (!key.empty() && key.find(' ') == std::string::npos)
            r.meta_[key] = std::string(trim(l.substr(colon + 1)));
    }
    return r;
}

Result<bool, ParseError> TraceReader::read_line() {
    char buf[max_line_bytes + 2];
    line_buf_.clear();
    if (!gzgets(gz(gz_), buf, sizeof buf)) {
        int err = 0;
        const char* msg = gzerror(gz(gz_), &err);
        if (err != Z_OK && err != Z_BUF_ERROR)
            return Err{ParseError{line_ + 1, ParseErrorKind::io_error, msg ? msg : ""}};
        return false;
    }
    ++line_;
    std::size_t n = std::strlen(buf);
    if (n > 0 && buf[n - 1] == '\n') {
        line_buf_.assign(buf, n - 1);
        return true;
    }
    if (n <= max_line_bytes) {  // the last line, without a newline
        line_buf_.assign(buf, n);
        return true;
    }
    // Too long: skip the rest of the line so that the next call starts on the next one.
    while (gzgets(gz(gz_), buf, sizeof buf)) {
        n = std::strlen(buf);
        if (n > 0 && buf[n - 1] == '\n') break;
    }
    return Err{ParseError{line_, ParseErrorKind::too_long,
                          "over " + std::to_string(max_line_bytes) + " bytes"}};
}

Result<std::optional<Record>, ParseError> TraceReader::next() {
    for (;;) {
        if (!pending_) {
            auto got = read_line();
            if (!got) return Err{got.error()};
            if (!*got) return std::optional<Record>();
        }
        pending_ = false;
        const std::string_view l = trim(line_buf_);
        if (l.empty() || l.front() == '#') continue;
        auto r = parse_record(l);
        if (!r) {
            ParseError e = r.error();
            e.line = line_;
            return Err{std::move(e)};
        }
        if (r->t_ms < last_t_)
            return Err{ParseError{line_, ParseErrorKind::time_goes_back,
                                  std::to_string(r->t_ms) + " after " + std::to_string(last_t_)}};
        last_t_ = r->t_ms;
        ++records_;
        return std::optional<Record>(std::move(r).value());
    }
}

std::optional<std::uint64_t> TraceReader::meta_uint(const std::string& key) const {
    auto it = meta_.find(key);
    if (it == meta_.end()) return std::nullopt;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec != std::errc() || p != it->second.data() + it->second.size()) return std::nullopt;
    return v;
}

std::uint64_t TraceReader::file_offset() const {
    const auto off = gzoffset(gz(gz_));
    return off < 0 ? 0 : static_cast<std::uint64_t>(off);
}

Result<TraceWriter, std::string> TraceWriter::open(const std::string& path) {
    const bool compress = path.size() > 3 && path.ends_with(".gz");
    gzFile f = path == "-" ? gzdopen(dup(STDOUT_FILENO), "wbT")
                           : gzopen(path.c_str(), compress ? "wb6" : "wbT");
    if (!f) return Err{std::string("cannot create ") + path + ": " + std::strerror(errno)};
    gzbuffer(f, 1 << 18);
    TraceWriter w;
    w.gz_.reset(f);
    w.path_ = path;
    if (gzprintf(f, "# %s\n", format_version) <= 0) w.failed_ = true;
    return w;
}

bool TraceWriter::meta(const std::string& key, const std::string& value) {
    if (records_ > 0 || key.empty() || key.find_first_of(" :\n") != std::string::npos ||
        value.find('\n') != std::string::npos)
        return false;
    const std::string l = "# " + key + ": " + value + "\n";
    if (gzwrite(gz(gz_), l.data(), static_cast<unsigned>(l.size())) <= 0) failed_ = true;
    return true;
}

bool TraceWriter::write(const Record& r) {
    if (!valid_record(r) || r.t_ms < last_t_) return false;
    std::string l = format_record(r);
    l += '\n';
    if (gzwrite(gz(gz_), l.data(), static_cast<unsigned>(l.size())) <= 0) failed_ = true;
    last_t_ = r.t_ms;
    ++records_;
    return true;
}

Result<Unit, std::string> TraceWriter::close() {
    gzFile f = static_cast<gzFile>(gz_.release());
    if (!f) return Err{std::string("already closed")};
    const int rc = gzclose(f);
    if (failed_ || rc != Z_OK) return Err{"write error on " + path_};
    return unit;
}

}  // namespace elmo::traces
