#pragma once
// The admin HTTP endpoint on loopback: GET /metrics (Prometheus text format, rendered on demand
// by the owner's callback) and GET /healthz. RESTinio does the HTTP (no parser of our own); it
// runs on the daemon's own io_context and thread. Other paths answer 404, other methods 405.
#include <asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.hpp"

namespace elmo::daemon {

class AdminServer {
  public:
    using Render = std::function<std::string()>;
    // Binds `bind`:`port` at once (an error if the port is taken).
    static Result<std::unique_ptr<AdminServer>, std::string> open(asio::io_context& io,
                                                                  const std::string& bind,
                                                                  std::uint16_t port,
                                                                  Render metrics);
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;
    // Stops accepting and closes connections.
    void close();

  private:
    struct Impl;
    explicit AdminServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace elmo::daemon
