#pragma once
// The node's one UDP socket, shared by the DHT and elmo (DESIGN 3): every datagram received is
// handed to one handler (the daemon splits them by the first-byte rule), and both send through
// send(). Sending never blocks: a datagram the kernel cannot take at once waits in a bounded
// queue (max_queued datagrams or max_queued_bytes), flushed when the socket is writable; when
// the queue is full the new datagram is dropped and counted (drop-newest: what is queued is
// older and was already promised to someone). Send errors (an ICMP-refused peer, a full
// interface) are counted, never fatal. Receive errors are counted and receiving goes on.
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "common/result.hpp"

namespace elmo::daemon {

struct UdpStats {
    std::uint64_t datagrams_in = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t datagrams_out = 0;  // handed to the kernel
    std::uint64_t bytes_out = 0;
    std::uint64_t queued_total = 0;        // sends that had to wait for the socket
    std::uint64_t dropped_queue_full = 0;  // sends dropped: the queue was full
    std::uint64_t send_errors = 0;         // the kernel refused a datagram
    std::uint64_t receive_errors = 0;      // a failed receive (e.g. ICMP port unreachable)
};

Endpoint to_endpoint(const asio::ip::udp::endpoint& e);
asio::ip::udp::endpoint to_asio(const Endpoint& e);

class UdpPort {
  public:
    static constexpr std::size_t max_queued = 4096;
    static constexpr std::size_t max_queued_bytes = 8u << 20;
    static constexpr std::size_t max_datagram = 65536;

    using Handler = std::function<void(const asio::ip::udp::endpoint& from, ByteView data)>;

    // Binds `bind`:`port` (an address literal) and starts receiving into `handler`.
    static Result<std::unique_ptr<UdpPort>, std::string> open(asio::io_context& io,
                                                              const std::string& bind,
                                                              std::uint16_t port, Handler handler);
    ~UdpPort();
    UdpPort(const UdpPort&) = delete;
    UdpPort& operator=(const UdpPort&) = delete;

    void send(const asio::ip::udp::endpoint& to, ByteView data);
    void send(const Endpoint& to, ByteView data) { send(to_asio(to), data); }

    const asio::ip::udp::endpoint& local() const { return local_; }
    std::size_t queued() const { return queue_.size(); }
    const UdpStats& stats() const { return stats_; }
    // Stops receiving and drops what is queued (counted as dropped).
    void close();

  private:
    struct Pending {
        asio::ip::udp::endpoint to;
        Bytes data;
    };
    UdpPort(asio::io_context& io, Handler handler);
    void receive();
    void flush();
    void wait_writable();

    asio::ip::udp::socket socket_;
    Handler handler_;
    asio::ip::udp::endpoint local_;
    asio::ip::udp::endpoint sender_;
    std::array<std::uint8_t, max_datagram> buffer_{};
    std::deque<Pending> queue_;
    std::size_t queued_bytes_ = 0;
    bool waiting_ = false;
    bool closed_ = false;
    UdpStats stats_;
    // Handlers check it: the port may be destroyed before the io_context runs them down.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace elmo::daemon
