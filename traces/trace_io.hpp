#pragma once
// Streaming trace files (docs/traces.md): a reader that yields one record at a time and a writer,
// over zlib's gz files, so a file is read the same whether it is gzip-compressed or plain text
// (zlib reads plain files transparently) and a week of Twitter is never held in memory.
//
// A file starts with optional header lines "# key: value" (meta data: format version, node count,
// duration, source, rules); any later line starting with '#' and blank lines are skipped. Every
// other line is one record; records are sorted by time (ties keep file order).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "traces/record.hpp"

namespace elmo::traces {

inline constexpr const char* format_version = "elmo-trace 1";

struct GzCloser {
    void operator()(void* f) const;
};
using GzHandle = std::unique_ptr<void, GzCloser>;

class TraceReader {
  public:
    // "-" reads standard input. Reads the header (meta lines) before returning.
    static Result<TraceReader, ParseError> open(const std::string& path);

    // The next record; nullopt at the end of the file; or the error of one line (the line is
    // consumed: calling next() again goes on with the following line).
    Result<std::optional<Record>, ParseError> next();

    // Header values by key ("nodes", "duration_ms", ...), in key order.
    const std::map<std::string, std::string>& meta() const { return meta_; }
    std::optional<std::uint64_t> meta_uint(const std::string& key) const;
    std::uint64_t line() const { return line_; }  // lines read so far
    std::uint64_t records() const { return records_; }
    // Bytes of the file consumed so far (compressed bytes for a gzip file), for progress.
    std::uint64_t file_offset() const;

  private:
    TraceReader() = default;
    // Reads one line into line_buf_. false at the end of the file.
    Result<bool, ParseError> read_line();

    GzHandle gz_;
    std::map<std::string, std::string> meta_;
    std::string line_buf_;
    bool pending_ = false;  // line_buf_ holds the first record line, read with the header
    std::uint64_t line_ = 0, records_ = 0, last_t_ = 0;
};

class TraceWriter {
  public:
    // A path ending in ".gz" is written gzip-compressed, anything else as plain text; "-" is
    // standard output (plain).
    static Result<TraceWriter, std::string> open(const std::string& path);

    // A header line; only before the first record (false after).
    bool meta(const std::string& key, const std::string& value);
    // False (and nothing written) if the record is invalid (valid_record) or earlier than the
    // previous one.
    bool write(const Record& r);
    // Flushes and closes; reports a write error that happened on the way.
    Result<Unit, std::string> close();
    std::uint64_t records() const { return records_; }

  private:
    TraceWriter() = default;
    GzHandle gz_;
    std::string path_;
    bool failed_ = false;
    std::uint64_t records_ = 0, last_t_ = 0;
};

}  // namespace elmo::traces
