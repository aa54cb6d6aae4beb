#include "tools/load/flags.h"

#include "src/cli/flag_table.h"
#include "src/cli/flag_values.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <limits>

namespace echo {
namespace load {
namespace {

constexpr uint64_t kMaxConnections = 100'000;
constexpr uint64_t kMaxMessageSize = uint64_t{64} << 20;
constexpr uint64_t kMaxInFlight = 1024;
constexpr uint64_t kMaxBytesPerConnection = uint64_t{1} << 40;
constexpr int64_t kMaxDurationMs = 24 * 3600 * 1000LL;
constexpr int64_t kMaxTimeoutMs = 3600 * 1000LL;

struct ModeEntry {
  Mode mode;
  const char* name;
};

constexpr ModeEntry kModes[] = {
    {Mode::kBulk, "bulk"},
    {Mode::kPingPong, "ping-pong"},
    {Mode::kIntegrity, "integrity"},
    {Mode::kHalfClose, "half-close"},
    {Mode::kSlowReaders, "slow-readers"},
    {Mode::kChurn, "churn"},
    {Mode::kIdle, "idle"},
};

// A duration of at least 1 ms (a zero-length run or timeout is meaningless).
bool ParsePositiveSeconds(const std::string& text, int64_t max_ms, int64_t* ms) {
  int64_t value = 0;
  if (!ParseSeconds(text, max_ms, &value) || value == 0) return false;
  *ms = value;
  return true;
}

// 127.0.0.0/8 or ::1. The tool opens thousands of connections and resets
// them on purpose: it is meant for servers on this machine only.
bool IsLoopbackLiteral(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
  }
  return false;
}

const FlagSpec<LoadOptions> kFlags[] = {
    {"--port", "N", "the server's TCP port (required)",
     [](const std::string& v, LoadOptions* o) -> std::string {
       uint64_t port = 0;
       if (!ParseUnsigned(v, 65535, &port) || port == 0) {
         return "--port: " + QuoteForMessage(v) + " is not a port number (1-65535)";
       }
       o->port = static_cast<uint16_t>(port);
       return "";
     }},
    {"--host", "ADDR", "the server's loopback address: 127.0.0.1 (default) or ::1",
     [](const std::string& v, LoadOptions* o) -> std::string {
       if (!IsLoopbackLiteral(v)) {
         return "--host: " + QuoteForMessage(v) +
                " is not a numeric loopback address (127.0.0.1, ::1)";
       }
       o->host = v;
       return "";
     }},
    {"--mode", "MODE",
     "bulk, ping-pong, integrity, half-close, slow-readers,\n"
     "churn or idle (required; see MODES)",
     [](const std::string& v, LoadOptions* o) -> std::string {
       const auto mode = ParseModeName(v);
       if (!mode) {
         return "--mode: " + QuoteForMessage(v) +
                " is not one of bulk, ping-pong, integrity, half-close, "
                "slow-readers, churn, idle";
       }
       o->mode = *mode;
       return "";
     }},
    {"--connections", "N", "concurrent connections, 1 to 100000 (default 1)",
     [](const std::string& v, LoadOptions* o) -> std::string {
       uint64_t n = 0;
       if (!ParseUnsigned(v, kMaxConnections, &n) || n == 0) {
         return "--connections: " + QuoteForMessage(v) + " is not a count (1 to 100000)";
       }
       o->connections = static_cast<uint32_t>(n);
       return "";
     }},
    {"--message-size", "BYTES",
     "bytes per message; k, m suffixes (default 4096)",
     [](const std::string& v, LoadOptions* o) -> std::string {
       if (!ParseByteSize(v, kMaxMessageSize, &o->message_size)) {
         return "--message-size: " + QuoteForMessage(v) +
                " is not a size (1 to 64m, e.g. 4096, 4k)";
       }
       return "";
     }},
    {"--in-flight", "K", "bulk: messages pipelined per connection (default 1)",
     [](const std::string& v, LoadOptions* o) -> std::string {
       uint64_t n = 0;
       if (!ParseUnsigned(v, kMaxInFlight, &n) || n == 0) {
         return "--in-flight: " + QuoteForMessage(v) + " is not a count (1 to 1024)";
       }
       o->in_flight = static_cast<uint32_t>(n);
       return "";
     }},
    {"--duration", "SECONDS", "length of the timed modes (default 10)",
     [](const std::string& v, LoadOptions* o) -> std::string {
       if (!ParsePositiveSeconds(v, kMaxDurationMs, &o->duration_ms)) {
         return "--duration: " + QuoteForMessage(v) +
                " is not a number of seconds (0.001 to 86400, at most 3 decimals)";
       }
       return "";
     }},
    {"--bytes", "BYTES",
     "per connection in integrity, half-close and\n"
     "slow-readers; k, m, g suffixes (default 1m)",
     [](const std::string& v, LoadOptions* o) -> std::string {
       if (!ParseByteSize(v, kMaxBytesPerConnection, &o->bytes_per_connection)) {
         return "--bytes: " + QuoteForMessage(v) + " is not a size (1 to 1024g, e.g. 1000000, 64m)";
       }
       return "";
     }},
    {"--seed", "S", "seed of the data pattern and random sizes (default 1)",
     [](const std::string& v, LoadOptions* o) -> std::string {
       if (!ParseUnsigned(v, std::numeric_limits<uint64_t>::max(), &o->seed)) {
         return "--seed: " + QuoteForMessage(v) + " is not a number (0 to 18446744073709551615)";
       }
       return "";
     }},
    {"--timeout", "SECONDS",
     "longest wait for a connect or for progress\n"
     "before it is an error; also the time for the\n"
     "final read-back or echo of slow-readers and\n"
     "idle (default 5)",
     [](const std::string& v, LoadOptions* o) -> std::string {
       if (!ParsePositiveSeconds(v, kMaxTimeoutMs, &o->timeout_ms)) {
         return "--timeout: " + QuoteForMessage(v) +
                " is not a number of seconds (0.001 to 3600, at most 3 decimals)";
       }
       return "";
     }},
    {"--json", nullptr, "print the summary as one JSON object",
     [](const std::string& /*v*/, LoadOptions* o) -> std::string {
       o->json = true;
       return "";
     }},
};

LoadFlagsResult UsageError(std::string error) {
  LoadFlagsResult result;
  result.action = LoadFlagsResult::Action::kUsageError;
  result.error = std::move(error);
  return result;
}

bool Given(const FlagWalk& walk, const char* name) {
  for (const std::string& given : walk.given) {
    if (given == name) return true;
  }
  return false;
}

}  // namespace

const char* ModeName(Mode mode) {
  for (const ModeEntry& entry : kModes) {
    if (entry.mode == mode) return entry.name;
  }
  return "?";
}

std::optional<Mode> ParseModeName(const std::string& name) {
  for (const ModeEntry& entry : kModes) {
    if (name == entry.name) return entry.mode;
  }
  return std::nullopt;
}

LoadFlagsResult ParseLoadFlags(const std::vector<std::string>& args) {
  LoadFlagsResult result;
  const FlagWalk walk = WalkFlags(args, kFlags, /*has_version=*/false, &result.options);
  switch (walk.outcome) {
    case FlagWalk::Outcome::kHelp:
      result.action = LoadFlagsResult::Action::kHelp;
      return result;
    case FlagWalk::Outcome::kUsageError:
      return UsageError(walk.error);
    case FlagWalk::Outcome::kDone:
    case FlagWalk::Outcome::kVersion:  // Not offered (has_version is false).
      break;
  }
  if (!Given(walk, "--port")) return UsageError("--port is required");
  if (!Given(walk, "--mode")) return UsageError("--mode is required");
  return result;
}

std::string LoadUsageLine() { return FlagSynopsis("echo_load", kFlags, false); }

std::string LoadHelpText() {
  std::string text =
      LoadUsageLine() +
      "\n\nDrives an echo server on this machine, checks every byte that comes back\n"
      "against what was sent, and reports. Single-threaded and non-blocking.\n\n";
  text += FlagColumns(kFlags, /*has_version=*/false);
  text +=
      "\n"
      "MODES (connections are opened first; the clock starts once they are up)\n"
      "  bulk          each connection keeps --in-flight messages of --message-size\n"
      "                bytes in flight for --duration; reports echoed MB/s and msgs/s\n"
      "  ping-pong     each connection sends one message, waits for its whole echo,\n"
      "                repeats for --duration; reports latency percentiles (us)\n"
      "  integrity     each connection sends --bytes in random-sized writes while\n"
      "                reading in random-sized reads; every byte must come back\n"
      "  half-close    each connection sends --bytes then shuts down its sending\n"
      "                side; it must get every byte back, then EOF\n"
      "  slow-readers  each connection sends up to --bytes and reads nothing for\n"
      "                --duration (backpressure stalls it); then reads back what it\n"
      "                can within --timeout, verifies it as a prefix, and resets\n"
      "  churn         for --duration, keeps opening connections (up to\n"
      "                --connections at once) that send one message; half reset\n"
      "                right after sending, half read the echo and close cleanly\n"
      "  idle          holds --connections open without traffic for --duration;\n"
      "                none may be closed; then one message on each must echo\n"
      "\n"
      "Every byte of a connection's stream is a function of (seed, connection,\n"
      "offset), so replies are verified without keeping a copy. A wrong byte, an\n"
      "unexpected EOF or reset, a failed connect, or no progress for --timeout is\n"
      "an error. MB = 10^6 bytes; bulk counts echoed (verified) bytes.\n"
      "\n"
      "Output: a progress line on stderr each second when it is a terminal; a\n"
      "one-line summary on stdout at the end (--json: one JSON object instead).\n"
      "Exit status: 0 without errors, 1 with errors, 2 for a usage error.\n";
  return text;
}

}  // namespace load
}  // namespace echo
