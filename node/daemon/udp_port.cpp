#include "node/daemon/udp_port.hpp"

#include <asio/buffer.hpp>
#include <asio/ip/address.hpp>

#include <algorithm>

namespace elmo::daemon {

Endpoint to_endpoint(const asio::ip::udp::endpoint& e) {
    Endpoint out;
    const auto a = e.address();
    if (a.is_v4()) return Endpoint::v4(a.to_v4().to_uint(), e.port());
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) {
        return Endpoint::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint(), e.port());
    }
    out.family = Endpoint::Family::v6;
    out.port = e.port();
    const auto bytes = v6.to_bytes();
    std::copy(bytes.begin(), bytes.end(), out.addr.begin());
    return out;
}

asio::ip::udp::endpoint to_asio(const Endpoint& e) {
    if (e.family == Endpoint::Family::v6) {
        asio::ip::address_v6::bytes_type b;
        std::copy(e.addr.begin(), e.addr.end(), b.begin());
        return {asio::ip::address_v6(b), e.port};
    }
    return {asio::ip::address_v4(e.v4_host_order()), e.port};
}

UdpPort::UdpPort(asio::io_context& io, Handler handler)
    : socket_(io), handler_(std::move(handler)) {}

UdpPort::~UdpPort() {
    *alive_ = false;
    std::error_code ec;
    socket_.close(ec);
}

Result<std::unique_ptr<UdpPort>, std::string> UdpPort::open(asio::io_context& io,
                                                            const std::string& bind,
                                                            std::uint16_t port, Handler handler) {
    std::unique_ptr<UdpPort> p(new UdpPort(io, std::move(handler)));
    std::error_code ec;
    const auto addr = asio::ip::make_address(bind, ec);
    if (ec) return Err{"udp bind address '" + bind + "': " + ec.message()};
    const asio::ip::udp::endpoint ep(addr, port);
    p->socket_.open(ep.protocol(), ec);
    if (!ec) p->socket_.bind(ep, ec);
    if (!ec) p->socket_.non_blocking(true, ec);
    if (ec) return Err{"udp " + bind + ":" + std::to_string(port) + ": " + ec.message()};
    // Bursts (a DHT search, a topic hand-off) should not overflow the kernel's default buffers.
    p->socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
    p->socket_.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
    p->local_ = p->socket_.local_endpoint(ec);
    p->receive();
    return p;
}

void UdpPort::receive() {
    if (closed_) return;
    socket_.async_receive_from(
        asio::buffer(buffer_), sender_,
        [this, alive = alive_](const std::error_code& ec, std::size_t n) {
            if (!*alive || closed_) return;
            if (ec == asio::error::operation_aborted) return;
            if (ec) {
                ++stats_.receive_errors;  // e.g. ECONNREFUSED from an earlier send's ICMP
            } else {
                ++stats_.datagrams_in;
                stats_.bytes_in += n;
                handler_(sender_, ByteView(buffer_.data(), n));
            }
            receive();
        });
}

void UdpPort::send(const asio::ip::udp::endpoint& to, ByteView data) {
    if (closed_) {
        ++stats_.dropped_queue_full;
        return;
    }
    if (queue_.empty()) {
        std::error_code ec;
        socket_.send_to(asio::buffer(data.data(), data.size()), to, 0, ec);
        if (!ec) {
            ++stats_.datagrams_out;
            stats_.bytes_out += data.size();
            return;
        }
        if (ec != asio::error::would_block && ec != asio::error::try_again) {
            ++stats_.send_errors;
            return;
        }
    }
    if (queue_.size() >= max_queued || queued_bytes_ + data.size() > max_queued_bytes) {
        ++stats_.dropped_queue_full;
        return;
    }
    queue_.push_back(Pending{to, Bytes(data.begin(), data.end())});
    queued_bytes_ += data.size();
    ++stats_.queued_total;
    wait_writable();
}

void UdpPort::wait_writable() {
    if (waiting_ || queue_.empty() || closed_) return;
    waiting_ = true;
    socket_.async_wait(asio::ip::udp::socket::wait_write,
                       [this, alive = alive_](const std::error_code& ec) {
                           if (!*alive) return;
                           waiting_ = false;
                           if (ec || closed_) return;
                           flush();
                       });
}

void UdpPort::flush() {
    while (!queue_.empty()) {
        Pending& p = queue_.front();
        std::error_code ec;
        socket_.send_to(asio::buffer(p.data), p.to, 0, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) break;
        if (ec) {
            ++stats_.send_errors;
        } else {
            ++stats_.datagrams_out;
            stats_.bytes_out += p.data.size();
        }
        queued_bytes_ -= p.data.size();
        queue_.pop_front();
    }
    wait_writable();
}

void UdpPort::close() {
    if (closed_) return;
    closed_ = true;
    stats_.dropped_queue_full += queue_.size();
    queue_.clear();
    queued_bytes_ = 0;
    std::error_code ec;
    socket_.close(ec);
}

}  // namespace elmo::daemon
