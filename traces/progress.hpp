#pragma once
// Progress of a long run: on a terminal a bar redrawn in place with the ETA, otherwise (a log, a
// pipe) a plain line every `plain_every_s` of wall time.
#include <cstdio>
#include <string>

namespace elmo::traces {

class Progress {
  public:
    // `total`: the amount of work (simulated seconds); `out`: where to draw (stderr usually).
    Progress(double total, std::FILE* out, double plain_every_s = 10);
    // Draws if enough wall time went by since the last draw (0.5 s on a terminal).
    void update(double done, const std::string& detail);
    void finish(const std::string& detail);
    bool tty() const { return tty_; }

  private:
    void draw(double done, const std::string& detail, bool final);
    double total_;
    std::FILE* out_;
    bool tty_;
    double every_, start_, last_ = -1;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace elmo::traces
