// elmo: the command-line client (mosquitto_pub/mosquitto_sub style). `elmo --help`; the
// commands, options and exit codes are in docs/client-sdk.md.
#include <csignal>
#include <cstdio>

#include "client-sdk/cli/cli_commands.hpp"
#include "client-sdk/cli/exit_codes.hpp"

namespace {

extern "C" void on_signal(int) {
    elmo::cli::interrupted = true;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace elmo::cli;
    auto o = parse_cli(argc, argv);
    if (!o) {
        std::fprintf(stderr, "elmo: %s\n%s", o.error().c_str(), usage().c_str());
        return exit_usage;
    }
    if (o->help) {
        std::fputs(o->help_text.c_str(), stdout);
        return exit_ok;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    if (o->command == "pub") return run_pub(*o);
    if (o->command == "sub") return run_sub(*o);
    if (o->command == "poll") return run_poll(*o);
    return run_status(*o);
}
