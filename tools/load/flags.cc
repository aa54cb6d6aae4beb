#include "tools/load/flags.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>

#include "src/cli/flag_table.h"
#include "src/cli/flag_values.h"
#include "src/server/server_flags.h"

namespace echo {
namespace load {
namespace {

constexpr int64_t kMaxDurationMs = 24 * 3600 * 1000LL;
constexpr int64_t kMaxTimeoutMs = 3600 * 1000LL;

// In the order of Mode.
constexpr const char* kModeNames[] = {"bulk",         "ping-pong", "integrity", "half-close",
                                      "slow-readers", "churn",     "idle"};

std::string NotA(const char* flag, const std::string& value, const std::string& what) {
  return std::string(flag) + ": " + QuoteForMessage(value) + " is not " + what;
}

// A number from `min` to `max` into `*out`; `what` names it in the error.
template <typename T>
std::string Number(const char* flag, const std::string& value, uint64_t min, uint64_t max,
                   const char* what, T* out) {
  uint64_t n = 0;
  if (!ParseUnsigned(value, max, &n) || n < min) return NotA(flag, value, what);
  *out = static_cast<T>(n);
  return "";
}

std::string Size(const char* flag, const std::string& value, uint64_t max, const char* what,
                 uint64_t* out) {
  return ParseByteSize(value, max, out) ? "" : NotA(flag, value, what);
}

// "10s", "500ms", "2m", "1h", or a plain number of seconds ("10", "0.25"):
// at most three decimals, a whole number of milliseconds in the end ("1.5ms"
// is not), from 1 ms to `max_ms`; `range` says so in the error.
std::string Duration(const char* flag, const std::string& text, int64_t max_ms,
                     const char* range, int64_t* out) {
  const size_t split = std::min(text.find_first_not_of("0123456789."), text.size());
  const std::string unit = text.substr(split);
  const int64_t unit_ms = unit == "ms"                ? 1
                          : unit == "s" || unit == "" ? 1000
                          : unit == "m"               ? 60'000
                          : unit == "h"               ? 3'600'000
                                                      : 0;
  int64_t thousandths = 0;  // Of the unit: ParseSeconds() reads three decimals.
  if (unit_ms != 0 &&
      ParseSeconds(text.substr(0, split), max_ms * 1000 / unit_ms, &thousandths) &&
      thousandths * unit_ms % 1000 == 0 && thousandths * unit_ms / 1000 >= 1) {
    *out = thousandths * unit_ms / 1000;
    return "";
  }
  return NotA(flag, text,
              std::string("a duration (") + range +
                  ", e.g. 10s, 500ms, 2m; a plain number is seconds)");
}

// 127.0.0.0/8 or ::1. The tool opens thousands of connections and resets
// them on purpose: it is meant for servers on this machine only.
bool IsLoopbackLiteral(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 &&
         std::memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
}

using Value = const std::string&;

const FlagSpec<LoadOptions> kFlags[] = {
    {"--port", "N", "the server's TCP port (required)",
     [](Value v, LoadOptions* o) {
       return Number("--port", v, 1, 65535, "a port number (1-65535)", &o->port);
     }},
    {"--host", "ADDR", "the server's loopback address: 127.0.0.1 (default) or ::1",
     [](Value v, LoadOptions* o) {
       if (!IsLoopbackLiteral(v)) {
         return NotA("--host", v, "a numeric loopback address (127.0.0.1, ::1)");
       }
       o->host = v;
       return std::string();
     }},
    {"--mode", "MODE",
     "bulk, ping-pong, integrity, half-close, slow-readers,\n"
     "churn or idle (required; see MODES)",
     [](Value v, LoadOptions* o) {
       const auto mode = ParseModeName(v);
       if (!mode) {
         return NotA("--mode", v,
                     "one of bulk, ping-pong, integrity, half-close, slow-readers, churn, idle");
       }
       o->mode = *mode;
       return std::string();
     }},
    {"--connections", "N", "concurrent connections, 1 to 100000 (default 1)",
     [](Value v, LoadOptions* o) {
       return Number("--connections", v, 1, 100'000, "a count (1 to 100000)", &o->connections);
     }},
    {"--message-size", "BYTES", "bytes per message; k, m suffixes (default 4096)",
     [](Value v, LoadOptions* o) {
       return Size("--message-size", v, uint64_t{64} << 20,
                   "a size (1 to 64m, e.g. 4096, 4k)", &o->message_size);
     }},
    {"--in-flight", "K", "bulk: messages pipelined per connection (default 1)",
     [](Value v, LoadOptions* o) {
       return Number("--in-flight", v, 1, 1024, "a count (1 to 1024)", &o->in_flight);
     }},
    {"--duration", "TIME",
     "length of the timed modes: 10s, 500ms, 2m, or plain\n"
     "seconds (default 10s)",
     [](Value v, LoadOptions* o) {
       return Duration("--duration", v, kMaxDurationMs, "1ms to 24h", &o->duration_ms);
     }},
    {"--bytes", "BYTES",
     "per connection in integrity, half-close and\n"
     "slow-readers; k, m, g suffixes (default 1m)",
     [](Value v, LoadOptions* o) {
       return Size("--bytes", v, uint64_t{1} << 40, "a size (1 to 1024g, e.g. 1000000, 64m)",
                   &o->bytes_per_connection);
     }},
    {"--seed", "S", "seed of the data pattern and random sizes (default 1)",
     [](Value v, LoadOptions* o) {
       return Number("--seed", v, 0, std::numeric_limits<uint64_t>::max(),
                     "a number (0 to 18446744073709551615)", &o->seed);
     }},
    {"--timeout", "TIME",
     "longest wait for a connect or for progress\n"
     "before it is an error; also the time for the\n"
     "final read-back or echo of slow-readers and\n"
     "idle (default 5s)",
     [](Value v, LoadOptions* o) {
       return Duration("--timeout", v, kMaxTimeoutMs, "1ms to 1h", &o->timeout_ms);
     }},
    {"--json", nullptr, "print the report as one JSON object",
     [](Value /*v*/, LoadOptions* o) {
       o->json = true;
       return std::string();
     }},
};

constexpr char kHelpBody[] =
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
    "SIGINT (Ctrl-C) or SIGTERM ends connecting and the measured phase early;\n"
    "the run winds down as usual (within --timeout) and reports, marked\n"
    "interrupted.\n"
    "\n"
    "Output: a progress line on stderr each second when it is a terminal; a\n"
    "one-line summary on stdout at the end (--json: one JSON object instead, as\n"
    "iperf3's: version, target, start_time, per-second intervals, end).\n"
    "Exit status: 0 without errors, 1 with errors, 2 for a usage error.\n";

}  // namespace

const char* ModeName(Mode mode) { return kModeNames[static_cast<size_t>(mode)]; }

std::optional<Mode> ParseModeName(const std::string& name) {
  for (size_t i = 0; i < std::size(kModeNames); ++i) {
    if (name == kModeNames[i]) return static_cast<Mode>(i);
  }
  return std::nullopt;
}

LoadFlagsResult ParseLoadFlags(const std::vector<std::string>& args) {
  using Action = LoadFlagsResult::Action;
  using Outcome = FlagWalk::Outcome;
  LoadFlagsResult result;
  FlagWalk walk = WalkFlags(args, kFlags, /*has_version=*/true, &result.options);
  for (const std::string required : {"--port", "--mode"}) {
    if (walk.outcome == Outcome::kDone &&
        std::find(walk.given.begin(), walk.given.end(), required) == walk.given.end()) {
      walk = {Outcome::kUsageError, required + " is required", {}};
    }
  }
  result.action = walk.outcome == Outcome::kHelp         ? Action::kHelp
                  : walk.outcome == Outcome::kVersion    ? Action::kVersion
                  : walk.outcome == Outcome::kUsageError ? Action::kUsageError
                                                         : Action::kRun;
  result.error = walk.error;
  return result;
}

std::string LoadUsageLine() { return FlagSynopsis("echo_load", kFlags, /*has_version=*/true); }

std::string LoadHelpText() {
  return LoadUsageLine() +
         "\n\nDrives an echo server on this machine, checks every byte that comes back\n"
         "against what was sent, and reports. Single-threaded and non-blocking.\n\n" +
         FlagColumns(kFlags, /*has_version=*/true) + kHelpBody;
}

std::string LoadVersionText() {
  // The server's version, so that both programs of a build say the same.
  const std::string server = ServerVersionText();
  return "echo_load" + server.substr(server.find(' '));
}

}  // namespace load
}  // namespace echo
