// The scenarios elmo-sim knows, by name. One line per scenario; each lives in its own file.
#include "sim/scenario.hpp"

namespace elmo::sim {

Summary run_dht_bootstrap(const ScenarioOptions& o);
Summary run_paper_subscribe(const ScenarioOptions& o);
Summary run_paper_synthetic(const ScenarioOptions& o);

const std::vector<ScenarioInfo>& scenarios() {
    static const std::vector<ScenarioInfo> list = {
        {"dht-bootstrap", "N nodes bootstrap; time to 8 good nodes each, put/get success, load",
         run_dht_bootstrap},
        {"paper-subscribe",
         "the elastic-mailbox paper's set-up: 3 clients/node, 3 Zipf topics each; registration, "
         "mailbox pattern, hints on/off (--param hints=0), 10% crash at 6 min",
         run_paper_subscribe},
        {"paper-synthetic",
         "the paper's synthetic workload: intermittent clients, Zipf topics, 20 publications/s; "
         "delivery on time, latency, load, duplicates, lost events; --churn none|crash10|"
         "replace10|mailboxes; --csv DIR for the time series and per-node table",
         run_paper_synthetic},
    };
    return list;
}

}  // namespace elmo::sim
