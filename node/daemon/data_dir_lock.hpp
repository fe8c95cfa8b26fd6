#pragma once
// An exclusive lock on the daemon's data directory (flock on DATA_DIR/lock), so that two elmod
// processes never share one journal and identity (docs/daemon.md, "One writer"). The kernel
// releases the lock when the process dies, even by kill -9, so a crash never leaves a stale lock.
#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace elmo::daemon {

class DataDirLock {
  public:
    // Creates the directory if missing, then takes the lock without waiting. An error names the
    // path and why ("held by another process" when someone has it).
    static Result<DataDirLock, std::string> acquire(const std::filesystem::path& dir);

    DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    DataDirLock& operator=(DataDirLock&& other) noexcept;
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;
    ~DataDirLock();

  private:
    explicit DataDirLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace elmo::daemon
