// The scenarios elmo-sim knows, by name. One line per scenario; each lives in its own file.
#include "sim/scenario.hpp"

namespace elmo::sim {

Summary run_dht_bootstrap(const ScenarioOptions& o);

const std::vector<ScenarioInfo>& scenarios() {
    static const std::vector<ScenarioInfo> list = {
        {"dht-bootstrap", "N nodes bootstrap; time to 8 good nodes each, put/get success, load",
         run_dht_bootstrap},
    };
    return list;
}

}  // namespace elmo::sim
