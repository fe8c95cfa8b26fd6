#include "sim/dht_socket.hpp"

namespace elmo::sim {

SimDhtSocket::SimDhtSocket(Network& network, HostId host) : network_(network), host_(host) {
    const sockaddr_in sin = network.sockaddr_of(host);
    bound4_ = dht::SockAddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
}

int SimDhtSocket::sendTo(const dht::SockAddr& dest, const uint8_t* data, size_t size, bool) {
    if (stopped_) return ENETDOWN;
    network_.send(host_, network_.host_of(dest.get(), dest.getLength()), ByteView(data, size));
    return 0;
}

const dht::SockAddr& SimDhtSocket::getBoundRef(sa_family_t family) const {
    return family == AF_INET6 ? none_ : bound4_;
}

}  // namespace elmo::sim
