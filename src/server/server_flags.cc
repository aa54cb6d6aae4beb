#include "src/server/server_flags.h"

#include <limits>

#include "src/posix/socket_address.h"

namespace echo {
namespace {

constexpr size_t kMaxQueueLimit = size_t{1} << 30;
constexpr Millis kMaxIdleTimeout = 7 * 24 * 3600 * 1000LL;
constexpr Millis kMaxDrainTimeout = 3600 * 1000LL;
constexpr size_t kMaxConnections = 1000000;

// `text` as it may appear inside a one-line message: control characters and
// non-ASCII bytes become \xNN, and very long values are cut, so no argument
// can break the message across lines or flood the terminal.
std::string Quoted(const std::string& text) {
  constexpr size_t kMaxShown = 64;
  static const char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out + "'";
}

// Decimal digits only, at most `max`; no sign, no spaces, no leading zeros
// beyond a single "0".
bool ParseUnsigned(const std::string& text, uint64_t max, uint64_t* value) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) {
    return false;
  }
  uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *value = v;
  return true;
}

// "65536", "64k", "1m" (k = 1024, m = 1024 * 1024).
bool ParseByteSize(const std::string& text, uint64_t* bytes) {
  uint64_t unit = 1;
  std::string digits = text;
  if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) unit = 1024;
  if (!digits.empty() && (digits.back() == 'm' || digits.back() == 'M')) unit = 1024 * 1024;
  if (unit != 1) digits.pop_back();
  uint64_t n = 0;
  if (!ParseUnsigned(digits, kMaxQueueLimit / unit, &n) || n == 0) return false;
  *bytes = n * unit;
  return true;
}

// "60", "0.25": seconds with at most three decimals, as milliseconds.
bool ParseSeconds(const std::string& text, Millis max, Millis* ms) {
  const size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (dot != std::string::npos && (fraction.empty() || fraction.size() > 3)) return false;
  for (const char c : fraction) {
    if (c < '0' || c > '9') return false;
  }
  uint64_t seconds = 0;
  if (!ParseUnsigned(whole, static_cast<uint64_t>(max / 1000), &seconds)) return false;
  fraction.resize(3, '0');
  const Millis value = static_cast<Millis>(seconds) * 1000 + std::stoi(fraction);
  if (value > max) return false;
  *ms = value;
  return true;
}

using Apply = std::string (*)(const std::string& value, ServerOptions* options);

struct FlagSpec {
  const char* name;
  const char* value_name;
  const char* help;
  Apply apply;
};

const FlagSpec kFlags[] = {
    {"--bind", "ADDR",
     "numeric address to listen on (default 127.0.0.1;\n"
     "0.0.0.0 or :: listen on every interface)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       if (!SocketAddress::Parse(v, 0)) {
         return "--bind: " + Quoted(v) +
                " is not a numeric IPv4 or IPv6 address (e.g. 127.0.0.1, ::1)";
       }
       o->bind = v;
       return "";
     }},
    {"--port", "N", "TCP port, 0 for any free port (default 8192)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       uint64_t port = 0;
       if (!ParseUnsigned(v, 65535, &port)) {
         return "--port: " + Quoted(v) + " is not a port number (0-65535)";
       }
       o->port = static_cast<uint16_t>(port);
       return "";
     }},
    {"--queue-limit", "BYTES",
     "output queued per connection before it stops reading;\n"
     "k and m suffixes (default 64k)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       uint64_t bytes = 0;
       if (!ParseByteSize(v, &bytes)) {
         return "--queue-limit: " + Quoted(v) + " is not a size (1 to 1024m, e.g. 65536, 64k)";
       }
       o->queue_limit = static_cast<size_t>(bytes);
       return "";
     }},
    {"--idle-timeout", "SECONDS",
     "close a connection when no byte moved for this long;\n"
     "0 never (default 60)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       if (!ParseSeconds(v, kMaxIdleTimeout, &o->idle_timeout)) {
         return "--idle-timeout: " + Quoted(v) +
                " is not a number of seconds (0 to 604800, at most 3 decimals)";
       }
       return "";
     }},
    {"--max-connections", "N", "refuse clients beyond this many (default 10000)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       uint64_t n = 0;
       if (!ParseUnsigned(v, kMaxConnections, &n) || n == 0) {
         return "--max-connections: " + Quoted(v) + " is not a count (1 to 1000000)";
       }
       o->max_connections = static_cast<size_t>(n);
       return "";
     }},
    {"--drain-timeout", "SECONDS",
     "on SIGTERM/SIGINT, time to flush queued output\n"
     "before closing (default 5)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       if (!ParseSeconds(v, kMaxDrainTimeout, &o->drain_timeout)) {
         return "--drain-timeout: " + Quoted(v) +
                " is not a number of seconds (0 to 3600, at most 3 decimals)";
       }
       return "";
     }},
    {"--log-level", "LEVEL", "error, warn, info or debug (default info)",
     [](const std::string& v, ServerOptions* o) -> std::string {
       const auto level = ParseLogLevel(v);
       if (!level) return "--log-level: " + Quoted(v) + " is not one of error, warn, info, debug";
       o->log_level = *level;
       return "";
     }},
};

const FlagSpec* FindFlag(const std::string& name) {
  for (const FlagSpec& flag : kFlags) {
    if (name == flag.name) return &flag;
  }
  return nullptr;
}

FlagParseResult UsageError(std::string error) {
  FlagParseResult result;
  result.action = FlagParseResult::Action::kUsageError;
  result.error = std::move(error);
  return result;
}

}  // namespace

FlagParseResult ParseServerFlags(const std::vector<std::string>& args) {
  FlagParseResult result;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.action = FlagParseResult::Action::kHelp;
      return result;
    }
    if (arg == "--version") {
      result.action = FlagParseResult::Action::kVersion;
      return result;
    }
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const FlagSpec* flag = FindFlag(name);
    if (flag == nullptr) {
      if (arg.rfind("-", 0) == 0) return UsageError("unknown flag " + Quoted(name));
      return UsageError("unexpected argument " + Quoted(arg));
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return UsageError(name + " needs a value");
    }
    std::string error = flag->apply(value, &result.options);
    if (!error.empty()) return UsageError(std::move(error));
  }
  return result;
}

std::string ServerUsageLine() {
  std::string line = "usage: echo_server";
  for (const FlagSpec& flag : kFlags) {
    line += std::string(" [") + flag.name + " " + flag.value_name + "]";
  }
  return line + " [--help] [--version]";
}

std::string ServerHelpText() {
  std::string text = ServerUsageLine() +
                     "\n\nA TCP echo server: every byte a client sends is sent back, in order.\n\n";
  constexpr size_t kColumn = 28;
  const std::string indent(kColumn, ' ');
  for (const FlagSpec& flag : kFlags) {
    std::string left = std::string("  ") + flag.name + " " + flag.value_name;
    left.resize(kColumn, ' ');
    std::string help = flag.help;
    for (size_t at = 0; (at = help.find('\n', at)) != std::string::npos; at += kColumn + 1) {
      help.insert(at + 1, indent);
    }
    text += left + help + "\n";
  }
  text +=
      "  --help                    print this help and exit\n"
      "  --version                 print the version and exit\n"
      "\n"
      "SIGTERM or SIGINT stops accepting, lets connections flush what is queued\n"
      "for up to --drain-timeout, then exits 0; a second signal exits at once.\n"
      "SIGUSR1 logs the counters (also logged at exit).\n";
  return text;
}

const char* ServerVersionText() { return "echo_server 0.2.0"; }

}  // namespace echo
