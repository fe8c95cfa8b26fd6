#include "client-sdk/mailbox_list.hpp"

#include <algorithm>

namespace elmo {

namespace {
auto find_id(std::vector<wire::NodeAddr>& list, const NodeId& id) {
    return std::find_if(list.begin(), list.end(),
                        [&](const wire::NodeAddr& a) { return a.id == id; });
}
}  // namespace

void learn_front(std::vector<wire::NodeAddr>& list, const wire::NodeAddr& m, std::size_t bound) {
    if (!is_set(m) || bound == 0) return;
    auto it = find_id(list, m.id);
    if (it != list.end()) list.erase(it);
    list.insert(list.begin(), m);
    if (list.size() > bound) list.resize(bound);
}

void learn_back(std::vector<wire::NodeAddr>& list, const wire::NodeAddr& m, std::size_t bound) {
    if (!is_set(m) || list.size() >= bound || find_id(list, m.id) != list.end()) return;
    list.push_back(m);
}

void forget(std::vector<wire::NodeAddr>& list, const NodeId& id) {
    std::erase_if(list, [&](const wire::NodeAddr& a) { return a.id == id; });
}

std::vector<wire::NodeAddr> preferred_list(const wire::NodeAddr& current,
                                           const std::vector<wire::NodeAddr>& known,
                                           std::size_t max) {
    std::vector<wire::NodeAddr> out;
    if (is_set(current) && max > 0) out.push_back(current);
    for (const auto& m : known) {
        if (out.size() >= max) break;
        if (std::none_of(out.begin(), out.end(),
                         [&](const wire::NodeAddr& a) { return a.id == m.id; }))
            out.push_back(m);
    }
    return out;
}

}  // namespace elmo
