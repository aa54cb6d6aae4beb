// flag_table.h: a command line described by a table of flags, walked and
// documented by the same code for echo_server and echo_load.
//
// Each program lists its flags once (name, value name, help, how to apply a
// value to its options); WalkFlags() parses argv against the table and
// FlagSynopsis()/FlagColumns() write the usage line and the --help columns,
// so parsing and documentation cannot drift apart. Flags take their value as
// `--flag=value` or `--flag value`; a flag without a value name is a switch;
// a repeated flag keeps its last value; --help (and --version, where the
// program has one) win over everything after them, and like every switch
// take no value ("--help=1" is a usage error that says so).

#ifndef ECHO_LAB_CLI_FLAG_TABLE_H_
#define ECHO_LAB_CLI_FLAG_TABLE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "src/cli/flag_values.h"

namespace echo {

template <typename Options>
struct FlagSpec {
  const char* name;        // "--port"
  const char* value_name;  // "N"; nullptr for a switch that takes no value.
  const char* help;        // One or more lines, '\n'-separated.
  // Applies `value` to `options`; returns a one-line error, or "".
  std::string (*apply)(const std::string& value, Options* options);
};

struct [[nodiscard]] FlagWalk {
  enum class Outcome { kDone, kHelp, kVersion, kUsageError };

  Outcome outcome = Outcome::kDone;
  std::string error;               // One line, set for kUsageError.
  std::vector<std::string> given;  // Names of the flags applied, in order.
};

template <typename Options, size_t N>
FlagWalk WalkFlags(const std::vector<std::string>& args,
                   const FlagSpec<Options> (&flags)[N], bool has_version,
                   Options* options) {
  FlagWalk walk;
  auto fail = [&walk](std::string error) {
    walk.outcome = FlagWalk::Outcome::kUsageError;
    walk.error = std::move(error);
    return walk;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const bool help = name == "--help" || name == "-h";
    const bool version = has_version && name == "--version";
    // Switches, like those of the table: "--help=1" is not a flag unknown.
    if ((help || version) && equals != std::string::npos) {
      return fail(name + " takes no value");
    }
    if (help || version) {
      walk.outcome = help ? FlagWalk::Outcome::kHelp : FlagWalk::Outcome::kVersion;
      return walk;
    }
    const FlagSpec<Options>* flag = nullptr;
    for (const FlagSpec<Options>& candidate : flags) {
      if (name == candidate.name) flag = &candidate;
    }
    if (flag == nullptr) {
      if (arg.rfind("-", 0) == 0) return fail("unknown flag " + QuoteForMessage(name));
      return fail("unexpected argument " + QuoteForMessage(arg));
    }
    std::string value;
    if (flag->value_name == nullptr) {
      if (equals != std::string::npos) return fail(name + " takes no value");
    } else if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return fail(name + " needs a value");
    }
    std::string error = flag->apply(value, options);
    if (!error.empty()) return fail(std::move(error));
    walk.given.push_back(name);
  }
  return walk;
}

// "usage: PROGRAM [--flag VALUE]... [--help] [--version]".
template <typename Options, size_t N>
std::string FlagSynopsis(const char* program, const FlagSpec<Options> (&flags)[N],
                         bool has_version) {
  std::string line = std::string("usage: ") + program;
  for (const FlagSpec<Options>& flag : flags) {
    line += std::string(" [") + flag.name;
    if (flag.value_name != nullptr) line += std::string(" ") + flag.value_name;
    line += "]";
  }
  return line + (has_version ? " [--help] [--version]" : " [--help]");
}

// One aligned entry per flag, then --help (and --version): the body of
// --help's flag list.
template <typename Options, size_t N>
std::string FlagColumns(const FlagSpec<Options> (&flags)[N], bool has_version) {
  constexpr size_t kColumn = 28;
  const std::string indent(kColumn, ' ');
  std::string text;
  for (const FlagSpec<Options>& flag : flags) {
    std::string left = std::string("  ") + flag.name;
    if (flag.value_name != nullptr) left += std::string(" ") + flag.value_name;
    // A name too long for its column gets a line of its own.
    left = left.size() < kColumn ? left + std::string(kColumn - left.size(), ' ')
                                 : left + "\n" + indent;
    std::string help = flag.help;
    for (size_t at = 0; (at = help.find('\n', at)) != std::string::npos;
         at += kColumn + 1) {
      help.insert(at + 1, indent);
    }
    text += left + help + "\n";
  }
  text += "  --help                    print this help and exit\n";
  if (has_version) text += "  --version                 print the version and exit\n";
  return text;
}

}  // namespace echo

#endif  // ECHO_LAB_CLI_FLAG_TABLE_H_
