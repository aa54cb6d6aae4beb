#include "src/server/server_flags.h"

#include "src/posix/socket_address.h"

namespace echo {
namespace {

constexpr char kUsageLine[] =
    "usage: echo_server [--bind ADDR] [--port N] [--help] [--version]";

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

// Strictly decimal, no sign, no spaces, 0..65535.
bool ParsePort(const std::string& text, uint16_t* port) {
  if (text.empty() || text.size() > 5) return false;
  uint32_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

// Returns an error line, or "" if `value` was applied to `options`.
std::string ApplyFlag(const std::string& name, const std::string& value,
                      ServerOptions* options) {
  if (name == "--port") {
    if (!ParsePort(value, &options->port)) {
      return "--port: " + Quoted(value) + " is not a port number (0-65535)";
    }
    return "";
  }
  // name == "--bind"
  if (!SocketAddress::Parse(value, 0)) {
    return "--bind: " + Quoted(value) +
           " is not a numeric IPv4 or IPv6 address (e.g. 127.0.0.1, ::1)";
  }
  options->bind = value;
  return "";
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
    if (name != "--port" && name != "--bind") {
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
    std::string error = ApplyFlag(name, value, &result.options);
    if (!error.empty()) return UsageError(std::move(error));
  }
  return result;
}

const char* ServerUsageLine() { return kUsageLine; }

std::string ServerHelpText() {
  return std::string(kUsageLine) +
         "\n\n"
         "A TCP echo server: every byte a client sends is sent back, in order.\n"
         "\n"
         "  --bind ADDR   numeric address to listen on (default 127.0.0.1;\n"
         "                0.0.0.0 or :: listen on every interface)\n"
         "  --port N      TCP port, 0 for any free port (default 8192)\n"
         "  --help        print this help and exit\n"
         "  --version     print the version and exit\n"
         "\n"
         "SIGINT or SIGTERM stops the server.\n";
}

const char* ServerVersionText() { return "echo_server 0.1.0"; }

}  // namespace echo
