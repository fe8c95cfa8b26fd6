#pragma once
// The bounded list of known mailboxes of one topic, most recently learned first, one entry per
// node id. Recency first because the freshest news of a mailbox is the likeliest to be alive.
#include <cstddef>
#include <vector>

#include "wire/node_addr.hpp"

namespace elmo {

// Whether an address names a node at all (a default NodeAddr does not).
inline bool is_set(const wire::NodeAddr& a) { return a.endpoint.family != 0; }

// Puts `m` at the front (moving it if present); drops the oldest beyond `bound`.
void learn_front(std::vector<wire::NodeAddr>& list, const wire::NodeAddr& m, std::size_t bound);
// Adds `m` at the back unless present or the list is full.
void learn_back(std::vector<wire::NodeAddr>& list, const wire::NodeAddr& m, std::size_t bound);
void forget(std::vector<wire::NodeAddr>& list, const NodeId& id);

// What a Subscribe asks the home to try first: `current` if set, then `known`, no duplicate,
// at most `max` entries.
std::vector<wire::NodeAddr> preferred_list(const wire::NodeAddr& current,
                                           const std::vector<wire::NodeAddr>& known,
                                           std::size_t max);

}  // namespace elmo
