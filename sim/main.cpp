// elmo-sim: runs a named simulator scenario, prints progress lines and a summary table, and with
// --json prints the summary as one JSON object on the last line of its output.
#include <boost/program_options.hpp>

#include <iostream>
#include <string>

#include "sim/scenario.hpp"

namespace po = boost::program_options;
using namespace elmo::sim;

namespace {

void list_scenarios(std::ostream& out) {
    out << "scenarios:\n";
    for (const auto& s : scenarios()) out << "  " << s.name << "  " << s.description << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::string scenario, overlay = "dht", hints = "on", churn;
    ScenarioOptions o;
    double duration_s = 600, ping_s = -1, progress_s = 0;
    unsigned long long seed = 1;
    std::vector<std::string> params;
    bool json = false, quiet = false;

    po::options_description opts("elmo-sim SCENARIO [options]");
    opts.add_options()
        ("help,h", "show this help and the list of scenarios")
        ("nodes,n", po::value(&o.nodes)->default_value(1000), "number of nodes")
        ("seed,s", po::value(&seed)->default_value(1), "run seed")
        ("overlay", po::value(&overlay)->default_value("dht"), "dht (real OpenDHT) or ideal")
        ("duration,d", po::value(&duration_s)->default_value(600), "simulated seconds")
        ("ping-interval", po::value(&ping_s)->default_value(-1),
         "seconds between pings of the test protocol (0: off; default: 30 with --overlay ideal, off otherwise)")
        ("loss", po::value(&o.loss)->default_value(0.0), "independent datagram loss probability")
        ("progress", po::value(&progress_s)->default_value(0),
         "simulated seconds between progress lines (0: a tenth of the duration)")
        ("hints", po::value(&hints)->default_value("on"),
         "on, or off for plain random walks (elmo scenarios; same as --param hints=0)")
        ("param", po::value(&params)->composing(),
         "scenario parameter key=value (repeatable); elmo scenarios accept every NodeParams and "
         "MailboxParams knob listed in docs/node.md, e.g. walks=3 walk_ttl=8 hint_radius=2")
        ("churn", po::value(&churn),
         "paper-synthetic failure case: none, crash10, replace10 or mailboxes (same as --param churn=...)")
        ("csv", po::value(&o.csv_dir),
         "write the scenario's CSV files (time series, per-node table) into this directory")
        ("json", po::bool_switch(&json), "print the summary as one JSON object on the last line")
        ("quiet,q", po::bool_switch(&quiet), "no progress lines");
    po::options_description hidden;
    hidden.add_options()("scenario", po::value(&scenario));
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("scenario", 1);

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "elmo-sim: " << e.what() << "\n" << opts;
        return 2;
    }
    if (vm.count("help") || scenario.empty()) {
        std::cout << opts;
        list_scenarios(std::cout);
        return scenario.empty() && !vm.count("help") ? 2 : 0;
    }
    const ScenarioInfo* info = find_scenario(scenario);
    if (!info) {
        std::cerr << "elmo-sim: unknown scenario '" << scenario << "'\n";
        list_scenarios(std::cerr);
        return 2;
    }
    if (overlay == "dht") {
        o.overlay = OverlayMode::dht;
    } else if (overlay == "ideal") {
        o.overlay = OverlayMode::ideal;
    } else {
        std::cerr << "elmo-sim: --overlay must be dht or ideal\n";
        return 2;
    }
    for (const auto& p : params) {
        const auto eq = p.find('=');
        if (eq == std::string::npos) {
            std::cerr << "elmo-sim: --param expects key=value, got '" << p << "'\n";
            return 2;
        }
        o.params[p.substr(0, eq)] = p.substr(eq + 1);
    }
    if (hints != "on" && hints != "off") {
        std::cerr << "elmo-sim: --hints must be on or off\n";
        return 2;
    }
    if (hints == "off") o.params["hints"] = "0";
    if (!churn.empty()) o.params["churn"] = churn;
    o.seed = seed;
    o.duration = std::chrono::duration_cast<elmo::Duration>(std::chrono::duration<double>(duration_s));
    o.ping_interval = ping_s < 0 ? elmo::Duration(-1)
                                 : std::chrono::duration_cast<elmo::Duration>(std::chrono::duration<double>(ping_s));
    o.progress_every = std::chrono::duration_cast<elmo::Duration>(std::chrono::duration<double>(progress_s));
    o.progress = quiet ? nullptr : &std::cout;

    Summary summary;
    try {
        summary = info->run(o);
    } catch (const std::invalid_argument& e) {  // a bad --param: a usage error
        std::cerr << "elmo-sim: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "elmo-sim: " << scenario << " failed: " << e.what() << "\n";
        return 1;
    }
    std::cout << "summary:\n";
    summary.print_table(std::cout);
    if (json) std::cout << summary.to_json() << std::endl;
    return 0;
}
