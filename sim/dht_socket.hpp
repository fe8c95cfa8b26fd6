#pragma once
// OpenDHT's datagram socket, simulated: what a dht::Dht sends goes into the simulated network
// from its host's address. Receiving is not the socket's business here: the node hands arriving
// datagrams to Dht::periodic itself (the first-byte rule decides who gets what).
#include <opendht/network_utils.h>

#include "sim/network.hpp"

namespace elmo::sim {

class SimDhtSocket final : public dht::net::DatagramSocket {
public:
    SimDhtSocket(Network& network, HostId host);

    int sendTo(const dht::SockAddr& dest, const uint8_t* data, size_t size, bool replied) override;
    bool hasIPv4() const override { return true; }
    bool hasIPv6() const override { return false; }
    const dht::SockAddr& getBoundRef(sa_family_t family) const override;
    // Never resolve names in a simulation: only numeric addresses are meaningful.
    std::vector<dht::SockAddr> resolve(const std::string&, const std::string&) override {
        return {};
    }
    void stop() override { stopped_ = true; }

private:
    Network& network_;
    HostId host_;
    dht::SockAddr bound4_;
    dht::SockAddr none_;
    bool stopped_ = false;
};

}  // namespace elmo::sim
