// elmo-trace: writes and inspects workload traces (docs/traces.md).
//   elmo-trace gen-synthetic --out FILE [--nodes N] [--seed S] [knobs...]
//   elmo-trace import-higgs --data DIR --out FILE [--from UNIX --to UNIX | --busiest-hours H]
//                           [--speedup X] [--sample F] [--max-clients N] [--online-s S] ...
//   elmo-trace stats FILE
#include <boost/program_options.hpp>
#include <iostream>

#include "traces/higgs.hpp"
#include "traces/synthetic.hpp"
#include "traces/trace_stats.hpp"

namespace po = boost::program_options;
using namespace elmo::traces;

namespace {

int usage() {
    std::cerr << "usage: elmo-trace gen-synthetic|import-higgs|stats [options] (--help)\n";
    return 2;
}

bool parse(int argc, char** argv, po::options_description& desc, po::variables_map& vm,
           const char* what) {
    desc.add_options()("help,h", "this help");
    po::positional_options_description pos;
    pos.add("file", 1);
    po::store(po::command_line_parser(argc - 1, argv + 1).options(desc).positional(pos).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << "elmo-trace " << what << "\n" << desc << "\n";
        return false;
    }
    return true;
}

int gen_synthetic(int argc, char** argv) {
    SyntheticConfig c;
    std::string out, churn = "none";
    po::options_description d("gen-synthetic: the paper-synthetic workload (issue 8) as a trace");
    d.add_options()("out,o", po::value(&out)->required(), "trace file (.gz: compressed)")(
        "nodes", po::value(&c.nodes)->default_value(c.nodes), "nodes")(
        "clients-per-node", po::value(&c.clients_per_node)->default_value(c.clients_per_node), "")(
        "topics", po::value(&c.topics)->default_value(c.topics), "0: 3 per node")(
        "subs", po::value(&c.subs)->default_value(c.subs), "topics per client")(
        "zipf", po::value(&c.zipf)->default_value(c.zipf), "Zipf exponent of topic popularity")(
        "rate", po::value(&c.rate)->default_value(c.rate), "publications per second in total")(
        "payload", po::value(&c.payload)->default_value(c.payload), "bytes per publication")(
        "online-s", po::value(&c.online_s)->default_value(c.online_s),
        "mean online period; <=0: always online")(
        "offline-s", po::value(&c.offline_s)->default_value(c.offline_s), "mean offline period")(
        "join-s", po::value(&c.join_s)->default_value(c.join_s), "clients appear over this time")(
        "duration-s", po::value(&c.duration_s)->default_value(c.duration_s), "trace length")(
        "churn", po::value(&churn)->default_value(churn), "none | crash | replace")(
        "fail-at-s", po::value(&c.fail_at_s)->default_value(c.fail_at_s),
        "crash time / first replacement")(
        "fraction", po::value(&c.fraction)->default_value(c.fraction), "of live nodes")(
        "replace-period-s", po::value(&c.replace_period_s)->default_value(c.replace_period_s), "")(
        "seed", po::value(&c.seed)->default_value(c.seed), "");
    po::variables_map vm;
    if (!parse(argc, argv, d, vm, "gen-synthetic")) return 0;
    auto k = parse_churn(churn);
    if (!k) {
        std::cerr << "elmo-trace: " << k.error() << "\n";
        return 2;
    }
    c.churn = *k;
    auto w = TraceWriter::open(out);
    if (!w) {
        std::cerr << "elmo-trace: " << w.error() << "\n";
        return 1;
    }
    auto st = generate_synthetic(c, *w);
    auto closed = w->close();
    if (!st || !closed) {
        std::cerr << "elmo-trace: " << (st ? closed.error() : st.error()) << "\n";
        return 1;
    }
    std::cout << "wrote " << out << ": " << st->records << " records, " << st->publications
              << " publications (" << st->skipped << " skipped: no subscriber online), "
              << st->subscriptions << " subscriptions, " << st->toggles << " session toggles, "
              << st->crashes << " crashes, " << st->joins << " joins\n";
    return 0;
}

int higgs(int argc, char** argv) {
    HiggsConfig c;
    std::string out;
    po::options_description d("import-higgs: the Higgs Twitter data set as a trace");
    d.add_options()("data", po::value(&c.dir)->required(), "directory holding higgs-*.gz")(
        "out,o", po::value(&out)->required(), "trace file (.gz: compressed)")(
        "from", po::value(&c.from_unix)->default_value(0),
        "window start, unix seconds (0: first row)")(
        "to", po::value(&c.to_unix)->default_value(0),
        "window end, exclusive (0: after the last row)")(
        "busiest-hours", po::value(&c.busiest_hours)->default_value(0),
        ">0: the busiest window of this many hours")(
        "speedup", po::value(&c.speedup)->default_value(c.speedup),
        "trace time = real time / speedup")("lead-s", po::value(&c.lead_s)->default_value(c.lead_s),
                                            "trace time before the first tweet")(
        "arrivals-s", po::value(&c.arrivals_s)->default_value(c.arrivals_s),
        ">0: clients first appear at random times over this many seconds (<= lead-s)")(
        "sample", po::value(&c.sample)->default_value(c.sample),
        "fraction of publishers kept (with all their subscribers)")(
        "max-clients", po::value(&c.max_clients)->default_value(0),
        "0: no limit; else publishers are dropped until it fits")(
        "online-s", po::value(&c.online_s)->default_value(c.online_s),
        "mean online period (trace time); <=0: always online")(
        "offline-s", po::value(&c.offline_s)->default_value(c.offline_s), "mean offline period")(
        "payload", po::value(&c.payload)->default_value(c.payload), "bytes per tweet")(
        "nodes", po::value(&c.nodes)->default_value(0), "node count hint for the replay")(
        "seed", po::value(&c.seed)->default_value(c.seed), "");
    po::variables_map vm;
    if (!parse(argc, argv, d, vm, "import-higgs")) return 0;
    auto w = TraceWriter::open(out);
    if (!w) {
        std::cerr << "elmo-trace: " << w.error() << "\n";
        return 1;
    }
    auto st = import_higgs(c, *w);
    auto closed = w->close();
    if (!st || !closed) {
        std::cerr << "elmo-trace: " << (st ? closed.error() : st.error()) << "\n";
        return 1;
    }
    std::cout << "wrote " << out << ": window [" << st->from_unix << ", " << st->to_unix << ") "
              << st->rows_in_window << " activity rows, " << st->publishers << " publishers, kept "
              << st->publishers_kept << " (sample " << st->sample_used << "), " << st->clients
              << " clients, " << st->publications
              << " publications, subscriptions: " << st->subs_follow
              << " by follow (follower graph, " << st->covered_followers << " covered accounts), "
              << st->subs_interaction << " by interaction; topics without subscribers "
              << st->topics_without_subscribers << ", " << st->toggles << " session toggles, "
              << st->records << " records, " << st->duration_ms / 1000.0 << " s of trace time; "
              << st->bad_lines << " data lines skipped\n";
    return 0;
}

int stats(int argc, char** argv) {
    std::string file;
    po::options_description d("stats FILE: what a trace contains");
    d.add_options()("file", po::value(&file)->required(), "trace file");
    po::variables_map vm;
    if (!parse(argc, argv, d, vm, "stats")) return 0;
    auto s = trace_stats(file);
    if (!s) {
        std::cerr << "elmo-trace: " << s.error() << "\n";
        return 1;
    }
    print_stats(std::cout, *s);
    return s->errors ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    const std::string cmd = argv[1];
    try {
        if (cmd == "gen-synthetic") return gen_synthetic(argc, argv);
        if (cmd == "import-higgs") return higgs(argc, argv);
        if (cmd == "stats") return stats(argc, argv);
    } catch (const po::error& e) {
        std::cerr << "elmo-trace " << cmd << ": " << e.what() << "\n";
        return 2;
    }
    return usage();
}
