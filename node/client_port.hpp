#pragma once
// The port between the node core and the clients connected to it as their home node. The daemon
// implements it over TLS connections, the simulator over simulated client links. Frames are whole
// encoded messages (the wire envelope); framing on a byte stream is the driver's business.
#include <cstdint>

#include "common/bytes.hpp"

namespace elmo {

using ClientHandle = std::uint64_t;  // the driver's name for one client connection

class ClientPort {
public:
    virtual ~ClientPort() = default;
    virtual void send_to_client(ClientHandle client, ByteView frame) = 0;
    // Closes a connection (after a protocol error); the driver calls on_client_disconnected.
    virtual void close_client(ClientHandle client) = 0;
};

}  // namespace elmo
