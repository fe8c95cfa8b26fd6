// elmod: the elmo node daemon. `elmod --help` lists the options; docs/daemon.md explains them.
#include <cstdio>

#include "node/daemon/elmod.hpp"
#include "node/daemon/elmod_config.hpp"

int main(int argc, char** argv) {
    using namespace elmo::daemon;
    auto config = parse_elmod_config(argc, argv);
    if (!config) {
        std::fprintf(stderr, "elmod: %s\n(see elmod --help)\n", config.error().to_string().c_str());
        return exit_config;
    }
    if (config->help) {
        std::fputs(elmod_help().c_str(), stdout);
        return exit_ok;
    }
    return run_elmod(*config);
}
