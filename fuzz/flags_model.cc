#include "fuzz/flags_model.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <optional>

namespace echo {
namespace {

using Action = FlagParseResult::Action;

// Above every limit of the grammar; small enough to multiply by 1000.
constexpr uint64_t kHuge = uint64_t{1} << 40;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A NUMBER's value, saturating at kHuge.
std::optional<uint64_t> Number(const std::string& text) {
  if (text.empty() || (text[0] == '0' && text.size() > 1)) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value >= kHuge) value = kHuge;
  }
  return value;
}

std::optional<uint64_t> NumberIn(const std::string& text, uint64_t low, uint64_t high) {
  const std::optional<uint64_t> n = Number(text);
  if (!n || *n < low || *n > high) return std::nullopt;
  return n;
}

// --queue-limit: NUMBER[kKmMgG], 1 byte to 1024m.
// NUMBER[unit] bytes, 1 to `max_mib` MiB.
std::optional<uint64_t> Bytes(std::string text, uint64_t max_mib) {
  const uint64_t kMaxBytes = max_mib << 20;
  uint64_t unit = 1;
  const std::string units = "kKmMgG";
  const size_t at = text.empty() ? std::string::npos : units.find(text.back());
  if (at != std::string::npos) {
    unit = uint64_t{1} << (10 * (1 + at / 2));
    text.pop_back();
  }
  const std::optional<uint64_t> n = Number(text);
  // More than kMaxBytes units is too many bytes whatever the unit.
  if (!n || *n > kMaxBytes) return std::nullopt;
  const uint64_t bytes = *n * unit;
  if (bytes < 1 || bytes > kMaxBytes) return std::nullopt;
  return bytes;
}

// SECONDS[.D[D[D]]], 0 to `max_seconds` s.
std::optional<Duration> Seconds(const std::string& text, int64_t max_seconds) {
  const size_t dot = text.find('.');
  const std::optional<uint64_t> whole = Number(text.substr(0, dot));
  if (!whole) return std::nullopt;
  auto ms = static_cast<int64_t>(*whole) * 1000;
  if (dot != std::string::npos) {
    const std::string decimals = text.substr(dot + 1);
    if (decimals.empty() || decimals.size() > 3) return std::nullopt;
    int64_t weight = 100;
    for (const char c : decimals) {
      if (!IsDigit(c)) return std::nullopt;
      ms += (c - '0') * weight;
      weight /= 10;
    }
  }
  if (ms > max_seconds * 1000) return std::nullopt;
  return Duration(ms);
}

// ZONE: an interface's name, or else its index (a NUMBER, 1 or more).
bool KnownZone(const std::string& zone) {
  if (!zone.empty() && if_nametoindex(zone.c_str()) != 0) return true;
  const std::optional<uint64_t> index = NumberIn(zone, 1, UINT32_MAX);
  char name[IF_NAMESIZE];
  return index && if_indextoname(static_cast<unsigned>(*index), name) != nullptr;
}

// The four bytes are 255.255.255.255 or an interface's broadcast address.
bool BroadcastV4(const uint8_t* bytes) {
  if (bytes[0] == 255 && bytes[1] == 255 && bytes[2] == 255 && bytes[3] == 255) return true;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool match = false;
  for (ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    const sockaddr* address = entry->ifa_broadaddr;
    if (!(entry->ifa_flags & IFF_BROADCAST) || address == nullptr ||
        address->sa_family != AF_INET) {
      continue;
    }
    match = match || std::memcmp(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr,
                                 bytes, 4) == 0;
  }
  freeifaddrs(list);
  return match;
}

// An IPv4 address TCP clients can reach: not 224.0.0.0/4, not broadcast.
bool UnicastV4(const uint8_t* bytes) {
  return (bytes[0] & 0xf0) != 0xe0 && !BroadcastV4(bytes);
}

// --bind, as documented: see the grammar in flags_model.h.
bool BindableAddress(const std::string& text) {
  uint8_t bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) return UnicastV4(bytes);
  const size_t percent = text.find('%');
  if (inet_pton(AF_INET6, text.substr(0, percent).c_str(), bytes) != 1) return false;
  const bool zoned = percent != std::string::npos;
  if (zoned && !KnownZone(text.substr(percent + 1))) return false;
  const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, mapped_prefix, 12) == 0) return !zoned && UnicastV4(bytes + 12);
  if (bytes[0] == 0xff) return false;  // Multicast.
  const bool link_local = bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
  return zoned == link_local;
}

std::optional<LogLevel> Level(const std::string& text) {
  if (text == "error") return LogLevel::kError;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

// Stores `value` in `options` if it is valid for the flag `name`; false if
// it is not. `name` must be one of the seven flags.
bool ApplyValue(const std::string& name, const std::string& value, ServerOptions* options) {
  if (name == "--bind") {
    if (!BindableAddress(value)) return false;
    options->bind = value;
  } else if (name == "--port") {
    const auto port = NumberIn(value, 0, 65535);
    if (!port) return false;
    options->port = static_cast<uint16_t>(*port);
  } else if (name == "--queue-limit") {
    const auto bytes = Bytes(value, 1024);
    if (!bytes || *bytes < 16 * 1024) return false;
    options->queue_limit = static_cast<size_t>(*bytes);
  } else if (name == "--socket-buffer") {
    const auto bytes = value == "0" ? std::optional<uint64_t>(0) : Bytes(value, 64);
    if (!bytes) return false;
    options->socket_buffer = static_cast<size_t>(*bytes);
  } else if (name == "--idle-timeout" || name == "--send-timeout") {
    const auto seconds = Seconds(value, 604800);
    if (!seconds) return false;
    const auto timeout = *seconds > Duration::zero() ? seconds : std::nullopt;  // 0: never.
    (name == "--idle-timeout" ? options->idle_timeout : options->send_timeout) = timeout;
  } else if (name == "--drain-timeout") {
    const auto seconds = Seconds(value, 3600);
    if (!seconds) return false;
    options->drain_timeout = *seconds;
  } else if (name == "--max-connections") {
    const auto count = NumberIn(value, 1, 1000000);
    if (!count) return false;
    options->max_connections = static_cast<size_t>(*count);
  } else if (name == "--max-connections-per-ip") {
    const auto count = NumberIn(value, 0, 1000000);
    if (!count) return false;
    options->max_connections_per_ip = static_cast<size_t>(*count);
  } else {
    const auto level = Level(value);
    if (!level) return false;
    options->log_level = *level;
  }
  return true;
}

bool IsFlag(const std::string& name) {
  for (const char* flag : {"--bind", "--port", "--queue-limit", "--socket-buffer",
                           "--idle-timeout", "--send-timeout",
                           "--max-connections", "--max-connections-per-ip",
                           "--drain-timeout", "--log-level"}) {
    if (name == flag) return true;
  }
  return false;
}

ServerOptions DocumentedDefaults() {
  ServerOptions options;
  options.bind = "127.0.0.1";
  options.port = 8192;
  options.queue_limit = 64 * 1024;
  options.socket_buffer = 64 * 1024;
  options.idle_timeout = std::chrono::seconds(60);
  options.send_timeout = std::chrono::seconds(60);
  options.max_connections = 10000;
  options.max_connections_per_ip = 1000;
  options.drain_timeout = std::chrono::seconds(5);
  options.log_level = LogLevel::kInfo;
  return options;
}

ExpectedFlags Outcome(Action action) {
  ExpectedFlags expected;
  expected.action = action;
  return expected;
}

ExpectedFlags UsageError(std::string prefix) {
  ExpectedFlags expected = Outcome(Action::kUsageError);
  expected.error_prefix = std::move(prefix);
  return expected;
}

}  // namespace

ExpectedFlags ModelServerFlags(const std::vector<std::string>& args) {
  ExpectedFlags expected = Outcome(Action::kRun);
  expected.options = DocumentedDefaults();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return Outcome(Action::kHelp);
    if (arg == "--version") return Outcome(Action::kVersion);
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    if (name == "--help" || name == "-h" || name == "--version") {
      return UsageError(name + " takes no value");
    }
    if (!IsFlag(name)) {
      const bool dashed = !arg.empty() && arg.front() == '-';
      return UsageError(dashed ? "unknown flag " : "unexpected argument ");
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return UsageError(name + " needs a value");
    }
    if (!ApplyValue(name, value, &expected.options)) return UsageError(name + ": ");
  }
  return expected;
}

}  // namespace echo
