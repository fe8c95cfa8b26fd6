#pragma once
// The synthetic workload of issue 8 (sim scenario paper-synthetic) written as a trace: N nodes,
// clients_per_node clients per node joining over join_s, `subs` distinct topics each from
// `topics` by Zipf(zipf), on/off sessions (exponential means), Poisson publications at `rate`
// per second in total from join_s to the end, the topic by the same Zipf law and the publisher a
// uniformly random online subscriber of it (up to publish_tries draws, then skipped), and an
// optional churn schedule. Every draw comes from `seed`.
#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "traces/trace_io.hpp"

namespace elmo::traces {

enum class ChurnKind : std::uint8_t { none, crash, replace };

struct SyntheticConfig {
    std::uint32_t nodes = 150;
    std::uint32_t clients_per_node = 3;
    std::uint32_t topics = 0;  // 0: 3 per node
    std::uint32_t subs = 3;    // topics per client
    double zipf = 0.9;
    double rate = 20;  // publications per second, in total
    std::uint32_t payload = 200;
    double online_s = 600, offline_s = 1200;  // session means; online_s <= 0: always online
    double join_s = 60;                       // clients appear over [0, join_s)
    double duration_s = 1800;
    ChurnKind churn = ChurnKind::none;
    double fail_at_s = 600;         // crash: when; replace: first replacement
    double fraction = 0.1;          // of the live nodes
    double replace_period_s = 300;  // replace: every period until the end
    int publish_tries = 10;
    std::uint64_t seed = 1;
};

struct SyntheticStats {
    std::uint64_t records = 0, publications = 0, skipped = 0, subscriptions = 0, toggles = 0,
                  crashes = 0, joins = 0;
};

// Writes the header (meta) and the records. Fails on a bad configuration or a write error.
Result<SyntheticStats, std::string> generate_synthetic(const SyntheticConfig& c, TraceWriter& out);

// "none", "crash" or "replace".
Result<ChurnKind, std::string> parse_churn(const std::string& s);

}  // namespace elmo::traces
