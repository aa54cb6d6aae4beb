// server_flags.h: the echo server's command line, parsed without side effects.
//
// ParseServerFlags() only computes: it prints nothing and never exits, so it
// can be unit-tested and fuzzed. main() turns its result into output and an
// exit code (usage errors exit 2).

#ifndef ECHO_LAB_SERVER_SERVER_FLAGS_H_
#define ECHO_LAB_SERVER_SERVER_FLAGS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/core/monotonic_time.h"
#include "src/server/log.h"

namespace echo {

struct ServerOptions {
  std::string bind = "127.0.0.1";     // Numeric IPv4 or IPv6 literal.
  uint16_t port = 8192;               // 0 asks the kernel for a free port.
  size_t queue_limit = 64 * 1024;     // Per-connection output bound, bytes.
  size_t socket_buffer = 64 * 1024;   // SO_SNDBUF/SO_RCVBUF; 0: the kernel's.
  // nullopt (--idle-timeout 0): connections never time out.
  std::optional<Duration> idle_timeout = std::chrono::seconds(60);
  // nullopt (--send-timeout 0): stalled output never times out.
  std::optional<Duration> send_timeout = std::chrono::seconds(60);
  size_t max_connections = 10000;     // Clients beyond this are refused.
  size_t max_connections_per_ip = 1000;  // From one address (IPv6: /64); 0: any.
  Duration drain_timeout = std::chrono::seconds(5);  // Flush time at SIGTERM/SIGINT.
  LogLevel log_level = LogLevel::kInfo;
};

struct [[nodiscard]] FlagParseResult {
  enum class Action { kRun, kHelp, kVersion, kUsageError };

  Action action = Action::kRun;
  ServerOptions options;  // Meaningful when action == kRun.
  std::string error;      // One line, set when action == kUsageError.
};

// Parses `args` (argv without the program name). Flags take their value as
// `--flag=value` or `--flag value`; a repeated flag keeps its last value.
// --help and --version win over everything after them. Values are checked
// strictly (no sign, no spaces, no trailing text) and range-checked; an error
// quotes the offending value with control bytes escaped, so it is one line.
FlagParseResult ParseServerFlags(const std::vector<std::string>& args);

// The one-line synopsis printed after a usage error.
std::string ServerUsageLine();
// The full --help text.
std::string ServerHelpText();
// "echo_server <version>".
const char* ServerVersionText();

}  // namespace echo

#endif  // ECHO_LAB_SERVER_SERVER_FLAGS_H_
