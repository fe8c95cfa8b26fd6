#pragma once
// elmod's option table (internal to the configuration): every option's name, documentation, how
// its current value is shown and how a given text is applied. elmod_config.cpp parses the command
// line and the file with it and prints --help and the sample config from it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "node/daemon/elmod_config.hpp"

namespace elmo::daemon::detail {

using Code = ConfigError::Code;

struct Problem {
    Code code;
    std::string message;
};
using Check = std::optional<Problem>;

enum class Kind : std::uint8_t { value, flag, list };

// One option: how it is documented, how its current value is shown (for defaults), and how a
// given text is applied. The option list below is the only place an option is named.
struct Spec {
    std::string name;
    std::string value_name;
    std::string help;
    Kind kind = Kind::value;
    std::function<std::string(const ElmodConfig&)> show;
    std::function<Check(ElmodConfig&, const std::string&)> set;
};

// Every option, in --help order (built once).
const std::vector<Spec>& option_specs();

std::string in_quotes(const std::string& s);
std::string trim(const std::string& s);  // spaces and tabs at both ends

}  // namespace elmo::daemon::detail
