#pragma once
// Reads a (gzip or plain) text file line by line through zlib: the Higgs data set's files.
#include <string>
#include <string_view>

#include "traces/trace_io.hpp"

namespace elmo::traces {

class GzLines {
  public:
    explicit GzLines(const std::string& path);
    bool ok() const { return gz_ != nullptr; }
    // The next line without its newline; false at the end (or on a read error: error()).
    bool next(std::string_view& line);
    bool error() const { return error_; }

  private:
    GzHandle gz_;
    std::string buf_;
    bool error_ = false;
};

}  // namespace elmo::traces
