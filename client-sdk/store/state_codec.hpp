#pragma once
// How the state store turns client state into column values. Events are stored in their wire
// encoding (inside a Publish envelope), so that reading them back goes through wire's strict
// decoder and its content-hash check: a damaged row is skipped, never trusted. Node addresses and
// endpoints are short fixed layouts: id (20) | family (1: 4 or 6) | address (4 or 16) | port (2,
// BE).
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/endpoint.hpp"
#include "wire/event.hpp"
#include "wire/node_addr.hpp"

namespace elmo::sdk::store {

Bytes encode_event(const wire::Event& e);
std::optional<wire::Event> decode_event(ByteView bytes);  // nullopt: malformed or id mismatch

Bytes encode_addrs(const std::vector<wire::NodeAddr>& list);
std::optional<std::vector<wire::NodeAddr>> decode_addrs(ByteView bytes);

Bytes encode_endpoints(const std::vector<Endpoint>& list);
std::optional<std::vector<Endpoint>> decode_endpoints(ByteView bytes);

}  // namespace elmo::sdk::store
