#pragma once
// What the benchmark reads about a process from /proc: resident memory (VmRSS in
// /proc/PID/status) and CPU time used (utime + stime of /proc/PID/stat). Linux only.
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace elmo::bench {

// Resident memory in KiB, or -1 if the process is gone.
inline long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

// User + system CPU seconds used so far, or -1 if the process is gone.
inline double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return -1;
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    long utime = 0, stime = 0;
    // Fields 3.. follow; utime is field 14 and stime field 15 (proc(5)).
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::strtol(field.c_str(), nullptr, 10);
        if (i == 15) stime = std::strtol(field.c_str(), nullptr, 10);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace elmo::bench
