#include "src/server/server_flags.h"

#include <sys/socket.h>

#include "src/cli/flag_table.h"
#include "src/cli/flag_values.h"
#include "src/posix/broadcast_address.h"
#include "src/posix/socket_address.h"

namespace echo {
namespace {

constexpr size_t kMaxQueueLimit = size_t{1} << 30;
// Below this, bulk echo collapses (4 KiB messages through a 1 KiB queue ran
// at 6 MB/s against 660 at 64 KiB) and clients that never read keep the
// loop busy (20 of them cost 65 % of a core at a 1-byte queue, none at
// 16 KiB): measured with echo_load bulk and slow-readers, see README.
constexpr size_t kMinQueueLimit = 16 * 1024;
// Linux caps SO_SNDBUF/SO_RCVBUF at net.core.wmem_max/rmem_max anyway.
constexpr size_t kMaxSocketBuffer = size_t{64} << 20;
constexpr Duration kMaxIdleTimeout = std::chrono::hours(7 * 24);
constexpr Duration kMaxDrainTimeout = std::chrono::hours(1);
constexpr size_t kMaxConnections = 1000000;

// Why a TCP server cannot listen on `text`, as a --bind error; "" if it
// can. Multicast and broadcast addresses bind, yet no client can ever
// connect to them; a link-local address means nothing without its zone.
std::string BindAddressProblem(const std::string& text) {
  const std::string flag = "--bind: " + QuoteForMessage(text);
  const auto address = SocketAddress::Parse(text, 0);
  if (!address) {
    const size_t percent = text.find('%');
    const auto unzoned = percent == std::string::npos
                             ? std::nullopt
                             : SocketAddress::Parse(text.substr(0, percent), 0);
    if (unzoned && unzoned->family() == AF_INET6) {
      return flag + ": this host has no network interface " +
             QuoteForMessage(text.substr(percent + 1));
    }
    return flag + " is not a numeric IPv4 or IPv6 address (e.g. 127.0.0.1, ::1)";
  }
  if (address->IsMulticast()) {
    return flag + " is a multicast address, which no TCP client can reach";
  }
  if (IsBroadcastAddress(*address)) {
    return flag + " is a broadcast address, which no TCP client can reach";
  }
  if (address->IsLinkLocal() && address->zone() == 0) {
    return flag + " is link-local: add its interface, as in fe80::1%eth0";
  }
  if (!address->IsLinkLocal() && address->zone() != 0) {
    return flag + ": only a link-local address (fe80::/10) takes a %zone";
  }
  return "";
}

// "10", "0.25": seconds with at most three decimals, up to `max`.
bool ParseDuration(const std::string& text, Duration max, Duration* value) {
  int64_t ms = 0;
  if (!ParseSeconds(text, max.count(), &ms)) return false;
  *value = Duration(ms);
  return true;
}

// Like ParseDuration(), where 0 means never.
bool ParseTimeout(const std::string& text, Duration max, std::optional<Duration>* timeout) {
  Duration value;
  if (!ParseDuration(text, max, &value)) return false;
  *timeout = value > Duration::zero() ? std::optional<Duration>(value) : std::nullopt;
  return true;
}

const FlagSpec<ServerOptions> kFlags[] = {
    {"--bind", "ADDR",
     "numeric address to listen on (default 127.0.0.1;\n"
     "0.0.0.0 or :: listen on every interface; a\n"
     "link-local one names its interface: fe80::1%eth0)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       std::string problem = BindAddressProblem(v);
       if (!problem.empty()) return problem;
       o->bind = v;
       return "";
     }},
    {"--port", "N", "TCP port, 0 for any free port (default 8192)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       uint64_t port = 0;
       if (!ParseUnsigned(v, 65535, &port)) {
         return "--port: " + QuoteForMessage(v) + " is not a port number (0-65535)";
       }
       o->port = static_cast<uint16_t>(port);
       return "";
     }},
    {"--queue-limit", "BYTES",
     "output queued per connection before it stops reading;\n"
     "16k to 1024m, k and m suffixes (default 64k)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       uint64_t bytes = 0;
       if (!ParseByteSize(v, kMaxQueueLimit, &bytes) || bytes < kMinQueueLimit) {
         return "--queue-limit: " + QuoteForMessage(v) +
                " is not a size (16k to 1024m, e.g. 65536, 64k)";
       }
       o->queue_limit = static_cast<size_t>(bytes);
       return "";
     }},
    {"--socket-buffer", "BYTES",
     "kernel send and receive buffer per connection;\n"
     "k and m suffixes, 0 the kernel's own (default 64k)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       uint64_t bytes = 0;
       if (v != "0" && !ParseByteSize(v, kMaxSocketBuffer, &bytes)) {
         return "--socket-buffer: " + QuoteForMessage(v) +
                " is not a size (0, or 1 to 64m, e.g. 65536, 64k)";
       }
       o->socket_buffer = static_cast<size_t>(bytes);
       return "";
     }},
    {"--idle-timeout", "SECONDS",
     "close a connection when no byte moved for this long;\n"
     "0 never (default 60)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       if (!ParseTimeout(v, kMaxIdleTimeout, &o->idle_timeout)) {
         return "--idle-timeout: " + QuoteForMessage(v) +
                " is not a number of seconds (0 to 604800, at most 3 decimals)";
       }
       return "";
     }},
    {"--send-timeout", "SECONDS",
     "close a connection whose queued output has not moved\n"
     "for this long; 0 never (default 60)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       if (!ParseTimeout(v, kMaxIdleTimeout, &o->send_timeout)) {
         return "--send-timeout: " + QuoteForMessage(v) +
                " is not a number of seconds (0 to 604800, at most 3 decimals)";
       }
       return "";
     }},
    {"--max-connections", "N", "refuse clients beyond this many (default 10000)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       uint64_t n = 0;
       if (!ParseUnsigned(v, kMaxConnections, &n) || n == 0) {
         return "--max-connections: " + QuoteForMessage(v) + " is not a count (1 to 1000000)";
       }
       o->max_connections = static_cast<size_t>(n);
       return "";
     }},
    {"--max-connections-per-ip", "N",
     "refuse clients beyond this many from one address\n"
     "(IPv6: one /64); 0 no limit (default 1000)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       uint64_t n = 0;
       if (!ParseUnsigned(v, kMaxConnections, &n)) {
         return "--max-connections-per-ip: " + QuoteForMessage(v) +
                " is not a count (0 to 1000000)";
       }
       o->max_connections_per_ip = static_cast<size_t>(n);
       return "";
     }},
    {"--drain-timeout", "SECONDS",
     "on SIGTERM/SIGINT, time to flush queued output\n"
     "before closing (default 5)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       if (!ParseDuration(v, kMaxDrainTimeout, &o->drain_timeout)) {
         return "--drain-timeout: " + QuoteForMessage(v) +
                " is not a number of seconds (0 to 3600, at most 3 decimals)";
       }
       return "";
     }},
    {"--log-level", "LEVEL", "error, warn, info or debug (default info)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       const auto level = ParseLogLevel(v);
       if (!level) return "--log-level: " + QuoteForMessage(v) + " is not one of error, warn, info, debug";
       o->log_level = *level;
       return "";
     }},
};

}  // namespace

FlagParseResult ParseServerFlags(const std::vector<std::string>& args) {
  FlagParseResult result;
  const FlagWalk walk = WalkFlags(args, kFlags, /*has_version=*/true, &result.options);
  switch (walk.outcome) {
    case FlagWalk::Outcome::kDone: result.action = FlagParseResult::Action::kRun; break;
    case FlagWalk::Outcome::kHelp: result.action = FlagParseResult::Action::kHelp; break;
    case FlagWalk::Outcome::kVersion: result.action = FlagParseResult::Action::kVersion; break;
    case FlagWalk::Outcome::kUsageError:
      result.action = FlagParseResult::Action::kUsageError;
      result.error = walk.error;
      break;
  }
  return result;
}

std::string ServerUsageLine() { return FlagSynopsis("echo_server", kFlags, true); }

std::string ServerHelpText() {
  return ServerUsageLine() +
         "\n\nA TCP echo server: every byte a client sends is sent back, in order.\n\n" +
         FlagColumns(kFlags, /*has_version=*/true) +
         "\n"
         "SIGTERM or SIGINT stops accepting, lets connections flush what is queued\n"
         "for up to --drain-timeout, then exits 0; a second signal exits at once.\n"
         "SIGUSR1 logs the counters (also logged at exit). A signal received\n"
         "during start-up is acted on once serving starts.\n";
}

const char* ServerVersionText() { return "echo_server 0.2.0"; }

}  // namespace echo
