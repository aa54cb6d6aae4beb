// flags.h: echo_load's command line, parsed without side effects (it prints
// nothing and never exits, so it is unit-tested directly; main() turns the
// result into output and an exit code).

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

// Parses `args` (argv without the program name) by the rules of
// src/cli/flag_table.h; --port and --mode are required.
LoadFlagsResult ParseLoadFlags(const std::vector<std::string>& args);

std::string LoadUsageLine();  // Printed after a usage error.
std::string LoadHelpText();
// "echo_load <version>": the version of echo_server built alongside.
std::string LoadVersionText();

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_FLAGS_H_
