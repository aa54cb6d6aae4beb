// server_flags.h: the echo server's command line, parsed without side effects.
//
// ParseServerFlags() only computes: it prints nothing and never exits, so it
// can be unit-tested and fuzzed. main() turns its result into output and an
// exit code (usage errors exit 2).

#ifndef ECHO_LAB_SERVER_SERVER_FLAGS_H_
#define ECHO_LAB_SERVER_SERVER_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace echo {

struct ServerOptions {
  std::string bind = "127.0.0.1";  // Numeric IPv4 or IPv6 literal.
  uint16_t port = 8192;            // 0 asks the kernel for a free port.
};

struct FlagParseResult {
  enum class Action { kRun, kHelp, kVersion, kUsageError };

  Action action = Action::kRun;
  ServerOptions options;  // Meaningful when action == kRun.
  std::string error;      // One line, set when action == kUsageError.
};

// Parses `args` (argv without the program name). Flags take their value as
// `--flag=value` or `--flag value`; a repeated flag keeps its last value.
// --help and --version win over everything after them.
FlagParseResult ParseServerFlags(const std::vector<std::string>& args);

// The one-line synopsis printed after a usage error.
const char* ServerUsageLine();
// The full --help text.
std::string ServerHelpText();
// "echo_server <version>".
const char* ServerVersionText();

}  // namespace echo

#endif  // ECHO_LAB_SERVER_SERVER_FLAGS_H_
