#pragma once
// The port through which the client core talks to its home node. The simulator implements it
// over a simulated client link, the phone SDK over a TLS connection with length-prefixed frames.
#include "common/bytes.hpp"
#include "common/endpoint.hpp"

namespace elmo {

class ClientTransport {
public:
    virtual ~ClientTransport() = default;
    // Opens a connection to `node`, replacing any other. Asynchronous: the driver later calls
    // ClientCore::on_connected or on_connect_failed (or the core gives up after connect_timeout
    // and calls disconnect()).
    virtual void connect(const Endpoint& node) = 0;
    // One encoded message to the home node; called only while connected.
    virtual void send(ByteView frame) = 0;
    // Closes the connection or abandons the pending connect. The core already knows: the driver
    // need not call on_disconnected for it (a call anyway is ignored).
    virtual void disconnect() = 0;
};

}  // namespace elmo
