#pragma once
// Importer of the Higgs Twitter data set (../shared/data/twitter-higgs/README.md) into a trace.
//
// Mapping (the data set's README, made precise in docs/traces.md): every account is a topic
// "u<id>" and a client with the account's id; each activity row (A retweeted, mentioned or
// replied to B at a second) is a publication by A on topic "u<A>" (rows of one account within
// one second are one tweet: a tweet mentioning three users is three rows). The subscribers of
// topic B: for accounts the partial follower graph covers (those that appear as followers in
// it), exactly the accounts they follow (rule `follow`); for every other account, the accounts
// it retweeted, mentioned or replied to over the week (rule `interaction`).
//
// A slice is a time window ([from, to), or the busiest `busiest_hours`), shifted so that it
// starts after `lead_s` of trace time (subscriptions settle first) and compressed by `speedup`.
// Clients are the slice's publishers plus their subscribers; when there are too many
// (`max_clients`) or a `sample` fraction is asked, publishers are sampled (by a seeded hash of
// their id) and each kept publisher keeps all its subscribers, so the sample keeps the follower
// structure around every topic it contains. Clients have on/off sessions (means in trace time,
// after the speed-up); a publisher offline at its tweet comes online for it.
#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "traces/trace_io.hpp"

namespace elmo::traces {

struct HiggsConfig {
    std::string dir;              // holds higgs-*.gz
    std::uint64_t from_unix = 0;  // 0: from the first row
    std::uint64_t to_unix = 0;    // 0: to the last row (exclusive bound otherwise)
    double busiest_hours = 0;     // > 0: the window of this length with the most rows
    double speedup = 1;
    double lead_s = 120;            // trace time before the first publication
    // > 0: each client first appears (its subscriptions, its first session) at a seeded random
    // time in [0, arrivals_s) instead of all at 0; at most lead_s. A replay where every phone
    // subscribes at the same instant (37,700 online at once for the busiest two hours) is a
    // flash crowd no running service sees at its start (docs/traces.md, "Arrivals").
    double arrivals_s = 0;
    double sample = 1;              // fraction of publishers kept
    std::uint64_t max_clients = 0;  // 0: no limit; else publishers are dropped until it fits
    double online_s = 600, offline_s = 1200;  // session means (trace time); online_s <= 0: always
    std::uint32_t payload = 200;              // bytes per tweet
    std::uint32_t nodes = 0;                  // written as the `nodes` hint when > 0
    std::uint64_t seed = 1;
};

struct HiggsStats {
    std::uint64_t from_unix = 0, to_unix = 0;
    std::uint64_t rows_in_window = 0;
    std::uint64_t publishers = 0, publishers_kept = 0;
    double sample_used = 1;
    std::uint64_t clients = 0, subs_follow = 0, subs_interaction = 0;
    std::uint64_t topics_without_subscribers = 0;
    std::uint64_t publications = 0, records = 0, toggles = 0;
    std::uint64_t covered_followers = 0, follower_edges = 0, interaction_edges = 0;
    std::uint64_t bad_lines = 0;  // rows of the data set that did not parse (skipped)
    std::uint64_t duration_ms = 0;
};

Result<HiggsStats, std::string> import_higgs(const HiggsConfig& c, TraceWriter& out);

}  // namespace elmo::traces
