#include "node/daemon/elmod_config.hpp"

#include <boost/program_options.hpp>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "node/daemon/elmod_options.hpp"

namespace elmo::daemon {

namespace {

namespace po = boost::program_options;
using detail::Check;
using detail::Code;
using detail::in_quotes;
using detail::Kind;
using detail::Problem;
using detail::Spec;
using detail::trim;

const std::vector<Spec>& specs() {
    return detail::option_specs();
}

// Options that hold together or not; the second one named is blamed.
Check cross_check(const ElmodConfig& c, std::string& option) {
    if (c.node.subscribe_deadline <= c.node.request_timeout) {
        option = "node.subscribe_deadline";
        return Problem{Code::conflict, "must exceed node.request_timeout (" +
                                           std::to_string(c.node.request_timeout.count()) + " s)"};
    }
    if (c.node.hint_expiry <= c.node.hint_refresh) {
        option = "node.hint_expiry";
        return Problem{Code::conflict, "must exceed node.hint_refresh (" +
                                           std::to_string(c.node.hint_refresh.count()) +
                                           " s), or hints lapse between refreshes"};
    }
    if (c.admin_port != 0 && c.admin_port == c.client_port) {
        option = "admin-port";
        return Problem{Code::conflict,
                       "same TCP port as client-port (" + std::to_string(c.client_port) + ")"};
    }
    return std::nullopt;
}

ConfigError error_of(Code code, std::string option, std::string message) {
    while (!option.empty() && option.front() == '-') option.erase(0, 1);
    return ConfigError{code, option.empty() ? std::string() : "--" + option, std::move(message)};
}

Result<ElmodConfig, ConfigError> parse(int argc, const char* const* argv) {
    po::options_description file_options;
    for (const Spec& sp : specs()) {
        const char* n = sp.name.c_str();
        switch (sp.kind) {
            case Kind::value:
                file_options.add_options()(n, po::value<std::string>());
                break;
            case Kind::flag:
                file_options.add_options()(n, po::value<std::string>()->implicit_value("true"));
                break;
            case Kind::list:
                file_options.add_options()(n, po::value<std::vector<std::string>>());
                break;
        }
    }
    po::options_description cmdline_options;
    cmdline_options.add_options()("help", "")("config", po::value<std::string>())(
        "positional-arguments", po::value<std::vector<std::string>>());
    cmdline_options.add(file_options);
    po::positional_options_description positional;
    positional.add("positional-arguments", -1);

    po::variables_map vm;
    std::set<std::string> on_cmdline;
    std::string file;
    try {
        auto parsed = po::command_line_parser(argc, argv)
                          .options(cmdline_options)
                          .positional(positional)
                          .style(po::command_line_style::default_style &
                                 ~po::command_line_style::allow_guessing)
                          .run();
        for (const auto& o : parsed.options) on_cmdline.insert(o.string_key);
        po::store(parsed, vm);
    } catch (const po::unknown_option& e) {
        return Err{error_of(Code::unknown_option, e.get_option_name(), "not an option of elmod")};
    } catch (const po::invalid_command_line_syntax& e) {
        const Code code = e.kind() == po::invalid_syntax::missing_parameter ||
                                  e.kind() == po::invalid_syntax::empty_adjacent_parameter
                              ? Code::missing_value
                              : Code::bad_syntax;
        return Err{error_of(code, e.get_option_name(), e.what())};
    } catch (const po::error_with_option_name& e) {
        return Err{error_of(Code::bad_value, e.get_option_name(), e.what())};
    } catch (const std::exception& e) {
        return Err{error_of(Code::bad_value, "", e.what())};
    }
    if (vm.count("positional-arguments")) {
        const auto& extra = vm["positional-arguments"].as<std::vector<std::string>>();
        return Err{ConfigError{Code::unexpected_argument, extra.front(),
                               "unexpected argument (options start with --)"}};
    }

    ElmodConfig config;
    config.help = vm.count("help") > 0;
    if (vm.count("config")) {
        file = vm["config"].as<std::string>();
        auto unreadable = [&](const std::string& why) {
            return ConfigError{Code::unreadable_file, "--config",
                               "cannot read " + in_quotes(file) + ": " + why};
        };
        if (file.empty()) return Err{unreadable("empty path")};
        std::error_code ec;
        if (std::filesystem::is_directory(file, ec)) return Err{unreadable("is a directory")};
        std::ifstream in(file);
        if (!in) return Err{unreadable(std::system_category().message(errno))};
        try {
            // Stored after the command line: po keeps the first value stored, so flags win.
            po::store(po::parse_config_file(in, file_options, false), vm);
        } catch (const po::unknown_option& e) {
            return Err{error_of(Code::unknown_option, e.get_option_name(),
                                "not an option of elmod (in " + file + ")")};
        } catch (const po::invalid_config_file_syntax& e) {
            return Err{error_of(Code::bad_syntax, e.get_option_name(),
                                std::string(e.what()) + " (in " + file + ")")};
        } catch (const po::error_with_option_name& e) {
            return Err{error_of(Code::bad_value, e.get_option_name(),
                                std::string(e.what()) + " (in " + file + ")")};
        } catch (const std::exception& e) {
            return Err{unreadable(e.what())};
        }
        if (in.bad()) return Err{unreadable(std::system_category().message(errno))};
        config.config_file = file;
    }

    for (const Spec& sp : specs()) {
        if (!vm.count(sp.name)) continue;
        const std::string where = on_cmdline.contains(sp.name) ? "" : " (in " + file + ")";
        std::vector<std::string> values;
        if (sp.kind == Kind::list)
            values = vm[sp.name].as<std::vector<std::string>>();
        else
            values.push_back(vm[sp.name].as<std::string>());
        for (const std::string& v : values)
            if (auto p = sp.set(config, trim(v)))
                return Err{error_of(p->code, sp.name, p->message + where)};
    }
    if (config.client_port == 0) config.client_port = config.port;  // the documented default
    std::string option;
    if (auto p = cross_check(config, option)) return Err{error_of(p->code, option, p->message)};
    return config;
}

}  // namespace

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::error:
            return "error";
        case LogLevel::warn:
            return "warn";
        case LogLevel::info:
            return "info";
        case LogLevel::debug:
            return "debug";
    }
    return "info";
}

std::string HostPort::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string ConfigError::to_string() const {
    return option.empty() ? message : option + ": " + message;
}

Result<ElmodConfig, ConfigError> parse_elmod_config(int argc, const char* const* argv) {
    try {
        return parse(argc, argv);
    } catch (const std::exception& e) {
        // Allocation failure or a library surprise: still a value, never an escaping exception.
        return Err{ConfigError{Code::bad_value, "", e.what()}};
    }
}

std::vector<OptionDoc> elmod_options() {
    const ElmodConfig defaults;
    std::vector<OptionDoc> out;
    out.push_back({"help", "", "", "print this help and exit"});
    out.push_back({"config", "FILE", "", "INI-style config file; flags given here override it"});
    for (const Spec& sp : specs())
        out.push_back({sp.name, sp.value_name, sp.show(defaults), sp.help});
    return out;
}

std::string elmod_help() {
    const auto options = elmod_options();
    std::size_t width = 0;
    auto head = [](const OptionDoc& o) {
        const bool attached = !o.value_name.empty() && o.value_name.front() == '[';
        return "--" + o.name + (o.value_name.empty() || attached ? "" : " ") + o.value_name;
    };
    for (const auto& o : options) width = std::max(width, head(o).size());
    std::string out =
        "usage: elmod [--config FILE] [--OPTION VALUE | --OPTION=VALUE]...\n"
        "\n"
        "elmo node daemon. Options on the command line override the same options in the\n"
        "config file, which override the defaults shown. Protocol parameters are --node.NAME\n"
        "and --mailbox.NAME (sections [node] and [mailbox] in the file); durations are in\n"
        "seconds; booleans are --flag or --flag=true|false (name = true|false in the file).\n"
        "An invalid configuration is reported with the option's name; elmod exits with code 2.\n"
        "\n";
    for (const auto& o : options) {
        std::string line = "  " + head(o);
        line.append(width + 4 - head(o).size(), ' ');
        line += o.help;
        if (!o.default_text.empty())
            line += " (default: " + o.default_text + ")";
        else if (o.name != "help")
            line += " (default: none)";
        out += line + "\n";
    }
    return out;
}

std::string elmod_sample_config() {
    std::string out =
        "# elmod sample configuration: every option at its default, commented out.\n"
        "# Uncomment a line to change it; the same option given on the command line wins.\n"
        "# Durations are in seconds; booleans true|false. `elmod --help` describes each option.\n"
        "# This text is elmod_sample_config() (node/daemon/elmod_config.cpp); a test keeps them "
        "equal.\n";
    std::string section;
    for (const auto& o : elmod_options()) {
        if (o.name == "help" || o.name == "config") continue;
        const auto dot = o.name.find('.');
        const std::string sec = dot == std::string::npos ? "" : o.name.substr(0, dot);
        const std::string key = dot == std::string::npos ? o.name : o.name.substr(dot + 1);
        if (sec != section) {
            out += "\n[" + sec + "]\n";
            section = sec;
        }
        out += "\n# " + o.help + "\n";
        out += "# " + key + " = " + (o.default_text.empty() ? o.value_name : o.default_text) + "\n";
    }
    return out;
}

}  // namespace elmo::daemon