// flags.h: echo_load's command line, parsed without side effects.
//
// ParseLoadFlags() only computes: it prints nothing and never exits, so it is
// unit-tested directly. main() turns its result into output and an exit code
// (usage errors exit 2, as the server's do).
//
// Times (--duration, --timeout) take a unit: "10s", "500ms", "2m", "1h"; a
// plain number is seconds ("10", "0.25"), as before units existed.

#ifndef ECHO_LAB_TOOLS_LOAD_FLAGS_H_
#define ECHO_LAB_TOOLS_LOAD_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace echo {
namespace load {

// What the client does to the server; see LoadHelpText() for each.
enum class Mode {
  kBulk,
  kPingPong,
  kIntegrity,
  kHalfClose,
  kSlowReaders,
  kChurn,
  kIdle,
};

// "bulk", "ping-pong", ... as written on the command line.
const char* ModeName(Mode mode);
std::optional<Mode> ParseModeName(const std::string& name);

struct LoadOptions {
  std::string host = "127.0.0.1";   // Numeric loopback address.
  uint16_t port = 0;                // Required: 1-65535.
  Mode mode = Mode::kBulk;          // Required.
  uint32_t connections = 1;         // Concurrent connections.
  uint64_t message_size = 4096;     // Bytes per message (bulk, ping-pong,
                                    // churn, idle's liveness probe).
  uint32_t in_flight = 1;           // Messages pipelined per connection (bulk).
  int64_t duration_ms = 10'000;     // Timed modes run this long.
  uint64_t bytes_per_connection = 1 << 20;  // integrity, half-close,
                                            // slow-readers.
  uint64_t seed = 1;                // Pattern and random sizes.
  int64_t timeout_ms = 5'000;       // Longest wait without progress.
  bool json = false;                // Summary as one JSON object.
};

struct LoadFlagsResult {
  enum class Action { kRun, kHelp, kVersion, kUsageError };

  Action action = Action::kRun;
  LoadOptions options;  // Meaningful when action == kRun.
  std::string error;    // One line, set when action == kUsageError.
};

// Parses `args` (argv without the program name). Flags take their value as
// `--flag=value` or `--flag value` (--json takes none); a repeated flag keeps
// its last value; --help, -h and --version win over everything after them.
// Values are checked strictly (decimal digits, no sign or spaces, ranges
// enforced) and --port and --mode are required. An error quotes the offending value with
// control bytes escaped, so it is always one line.
LoadFlagsResult ParseLoadFlags(const std::vector<std::string>& args);

// The one-line synopsis printed after a usage error.
std::string LoadUsageLine();
// The full --help text.
std::string LoadHelpText();
// "echo_load <version>": the version of echo_server built alongside.
std::string LoadVersionText();

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_FLAGS_H_
