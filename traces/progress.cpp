#include "traces/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "sim/metrics.hpp"

namespace elmo::traces {

std::string format_duration(double s) {
    if (!std::isfinite(s) || s < 0) return "?";
    const auto t = static_cast<long>(std::llround(s));
    char buf[32];
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
    else
        std::snprintf(buf, sizeof buf, "%lds", t);
    return buf;
}

Progress::Progress(double total, std::FILE* out, double plain_every_s)
    : total_(total),
      out_(out),
      tty_(out && isatty(fileno(out))),
      every_(tty_ ? 0.5 : plain_every_s),
      start_(sim::wall_seconds()) {}

void Progress::update(double done, const std::string& detail) {
    const double now = sim::wall_seconds();
    if (!out_ || (last_ >= 0 && now - last_ < every_)) return;
    last_ = now;
    draw(done, detail, false);
}

void Progress::finish(const std::string& detail) {
    if (!out_) return;
    draw(total_, detail, true);
}

void Progress::draw(double done, const std::string& detail, bool final) {
    const double f = total_ > 0 ? std::clamp(done / total_, 0.0, 1.0) : 1.0;
    const double wall = sim::wall_seconds() - start_;
    const std::string eta = f > 0.001 ? format_duration(wall * (1 - f) / f) : "?";
    if (tty_) {
        constexpr int width = 30;
        const int fill = static_cast<int>(f * width);
        std::string bar(static_cast<std::size_t>(fill), '#');
        bar.resize(width, '.');
        std::fprintf(out_, "\r\033[K[%s] %5.1f%% %s ETA %s  %s", bar.c_str(), 100 * f,
                     format_duration(wall).c_str(), final ? "0s" : eta.c_str(), detail.c_str());
        if (final) std::fputc('\n', out_);
    } else {
        std::fprintf(out_, "progress %5.1f%% wall %s eta %s %s\n", 100 * f,
                     format_duration(wall).c_str(), final ? "0s" : eta.c_str(), detail.c_str());
    }
    std::fflush(out_);
}

}  // namespace elmo::traces
