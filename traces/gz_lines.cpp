#include "traces/gz_lines.hpp"

#include <zlib.h>

#include <cstring>

namespace elmo::traces {

GzLines::GzLines(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) return;
    gzbuffer(f, 1 << 18);
    gz_.reset(f);
}

bool GzLines::next(std::string_view& line) {
    if (!gz_) return false;
    auto* f = static_cast<gzFile>(gz_.get());
    buf_.clear();
    char chunk[512];
    while (gzgets(f, chunk, sizeof chunk)) {
        const std::size_t n = std::strlen(chunk);
        buf_.append(chunk, n);
        if (n > 0 && chunk[n - 1] == '\n') {
            buf_.pop_back();
            line = buf_;
            return true;
        }
    }
    int err = 0;
    gzerror(f, &err);
    if (err != Z_OK && err != Z_BUF_ERROR) error_ = true;
    line = buf_;
    return !buf_.empty();
}

}  // namespace elmo::traces
