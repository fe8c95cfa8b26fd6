#include "common/endpoint.hpp"

#include <arpa/inet.h>

namespace elmo {

std::string Endpoint::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {0};
    switch (family) {
        case Family::v4:
            inet_ntop(AF_INET, addr.data(), buf, sizeof buf);
            return std::string(buf) + ":" + std::to_string(port);
        case Family::v6:
            inet_ntop(AF_INET6, addr.data(), buf, sizeof buf);
            return "[" + std::string(buf) + "]:" + std::to_string(port);
        case Family::none:
            break;
    }
    return "<none>";
}

}  // namespace elmo
