#pragma once
// The configuration of the daemon elmod (docs/daemon.md, "Configuration"): one INI-style file
// (`--config FILE`, sections [node] and [mailbox] for the protocol parameters) plus
// command-line flags, which override the file. Every option has a default and one line of help;
// `elmod --help` lists them all with their defaults. An invalid configuration is a ConfigError
// naming the option; the daemon prints it and exits with code 2.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "mailbox/params.hpp"
#include "node/params.hpp"

namespace elmo::daemon {

enum class LogLevel : std::uint8_t { error, warn, info, debug };
std::string_view to_string(LogLevel level);

// A bootstrap node as given: a host name or address literal (IPv6 in brackets) and a port.
// Names are resolved by the daemon when it bootstraps, not here.
struct HostPort {
    std::string host;
    std::uint16_t port = 0;
    std::string to_string() const;
    friend bool operator==(const HostPort&, const HostPort&) = default;
};

struct ElmodConfig {
    std::uint16_t port = 4222;              // UDP, shared by the DHT and elmo
    std::string bind = "127.0.0.1";         // loopback unless asked (DESIGN 3)
    std::vector<HostPort> bootstrap;        // empty: start a new network
    std::string data_dir = "./elmod-data";  // identity and journal
    // TCP, TLS unless plain_tcp. 0 (the default): the same number as `port`, which is what a
    // client assumes of a node it learned of from a mailbox list (those carry UDP endpoints).
    std::uint16_t client_port = 0;
    bool plain_tcp = false;                          // local benchmarks only
    std::size_t client_max_connections = 20'000;     // TCP connections, handshaking included
    std::chrono::seconds client_idle_timeout{1800};  // no frame for this long: closed; 0: never
    std::uint16_t admin_port = 9422;                 // Prometheus metrics on loopback; 0: off
    LogLevel log_level = LogLevel::info;
    std::uint32_t network = 0x454c4d4f;  // OpenDHT network id ("ELMO"): keeps other nets out
    NodeParams node;
    mailbox::MailboxParams mailbox;

    std::string config_file;  // the file read, empty if none
    bool help = false;        // --help: print elmod_help() and exit 0
};

struct ConfigError {
    enum class Code : std::uint8_t {
        unknown_option,       // not an option of elmod (or not allowed in the config file)
        missing_value,        // an option that needs a value was given none
        bad_value,            // not a number, boolean, level or address of the expected form
        out_of_range,         // a number or port outside the option's range
        bad_endpoint,         // a bootstrap entry that is not host:port
        conflict,             // two options that cannot hold together (named: the second)
        unreadable_file,      // --config names a file that cannot be read
        bad_syntax,           // a config file line that is not `name = value` or `[section]`
        unexpected_argument,  // a positional argument (elmod takes none)
    };
    Code code = Code::bad_value;
    std::string option;   // "--port", "--node.walks", "--config", or the stray argument
    std::string message;  // what is wrong, with the value given

    // "--port: must be 1..65535, got '70000'"
    std::string to_string() const;
};

// Parses the command line (argv[0] is the program name) and the config file it names.
// Never throws.
Result<ElmodConfig, ConfigError> parse_elmod_config(int argc, const char* const* argv);

// One option as documented: the name without dashes (as in the config file, "node.walks"), a
// placeholder for its value, its default as text, and its help line.
struct OptionDoc {
    std::string name;
    std::string value_name;
    std::string default_text;
    std::string help;
};
// Every option, in help order (--help and --config first).
std::vector<OptionDoc> elmod_options();

// The text `elmod --help` prints: usage, precedence, every option with its default.
std::string elmod_help();

// A config file with every option commented out at its default (node/daemon/elmod.sample.conf is
// this text; a test keeps them equal).
std::string elmod_sample_config();

}  // namespace elmo::daemon
