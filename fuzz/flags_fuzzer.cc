// flags_fuzzer.cc: the `flags` fuzz target. The input is an argv, arguments
// separated by NUL bytes. ParseServerFlags() must never crash, and must agree
// with flags_model.h, an independent reading of the documented grammar:
//   - it asks for help, the version, a run or a usage error exactly when the
//     model does (so it rejects exactly the malformed, out-of-range, unknown
//     and missing values the model rejects, and accepts the rest);
//   - a run's options equal the model's, field by field (units, decimals,
//     range edges, last value wins, both value syntaxes);
//   - a usage error is one non-empty line that begins as the model says,
//     naming the flag at fault ("--port: ...", "unknown flag ...").

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/flags_model.h"
#include "fuzz/fuzz_check.h"
#include "src/server/server_flags.h"
#include "src/testing/test_time.h"

namespace echo {
namespace {

using Action = FlagParseResult::Action;

constexpr size_t kMaxArgs = 64;

std::vector<std::string> SplitArgs(const uint8_t* data, size_t size) {
  std::vector<std::string> args(1);
  for (size_t i = 0; i < size && args.size() <= kMaxArgs; ++i) {
    if (data[i] == 0) {
      args.emplace_back();
    } else {
      args.back().push_back(static_cast<char>(data[i]));
    }
  }
  if (size == 0) args.clear();
  return args;
}

// The arguments on one line for a failure message, '?' for unprintables.
std::string Shown(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& arg : args) {
    line += line.empty() ? "[" : " [";
    for (const char c : arg) line.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    line += "]";
  }
  return line;
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kRun: return "run";
    case Action::kHelp: return "help";
    case Action::kVersion: return "version";
    case Action::kUsageError: return "usage error";
  }
  return "?";
}

// Failure messages show `args` (Shown() is evaluated only when a check
// fails, since FUZZ_CHECK formats its message only then).
void CheckOptions(const ServerOptions& got, const ServerOptions& want,
                  const std::vector<std::string>& args) {
  FUZZ_CHECK(got.bind == want.bind, "%s: bind '%s', documented '%s'",
             Shown(args).c_str(), got.bind.c_str(), want.bind.c_str());
  FUZZ_CHECK(got.port == want.port, "%s: port %u, documented %u", Shown(args).c_str(),
             got.port, want.port);
  FUZZ_CHECK(got.queue_limit == want.queue_limit, "%s: queue limit %zu, documented %zu",
             Shown(args).c_str(), got.queue_limit, want.queue_limit);
  FUZZ_CHECK(got.socket_buffer == want.socket_buffer, "%s: socket buffer %zu, documented %zu",
             Shown(args).c_str(), got.socket_buffer, want.socket_buffer);
  FUZZ_CHECK(got.idle_timeout == want.idle_timeout, "%s: idle timeout %s, documented %s",
             Shown(args).c_str(), TimeText(got.idle_timeout).c_str(),
             TimeText(want.idle_timeout).c_str());
  FUZZ_CHECK(got.send_timeout == want.send_timeout, "%s: send timeout %s, documented %s",
             Shown(args).c_str(), TimeText(got.send_timeout).c_str(),
             TimeText(want.send_timeout).c_str());
  FUZZ_CHECK(got.max_connections == want.max_connections,
             "%s: max connections %zu, documented %zu", Shown(args).c_str(),
             got.max_connections, want.max_connections);
  FUZZ_CHECK(got.max_connections_per_ip == want.max_connections_per_ip,
             "%s: max connections per ip %zu, documented %zu", Shown(args).c_str(),
             got.max_connections_per_ip, want.max_connections_per_ip);
  FUZZ_CHECK(got.drain_timeout == want.drain_timeout, "%s: drain timeout %s, documented %s",
             Shown(args).c_str(), TimeText(got.drain_timeout).c_str(),
             TimeText(want.drain_timeout).c_str());
  FUZZ_CHECK(got.log_level == want.log_level, "%s: log level %d, documented %d",
             Shown(args).c_str(), static_cast<int>(got.log_level),
             static_cast<int>(want.log_level));
}

void CheckUsageError(const std::string& error, const std::string& prefix,
                     const std::vector<std::string>& args) {
  FUZZ_CHECK(!error.empty(), "%s: usage error without a message", Shown(args).c_str());
  FUZZ_CHECK(error.find('\n') == std::string::npos, "%s: error is not one line: %s",
             Shown(args).c_str(), error.c_str());
  FUZZ_CHECK(error.compare(0, prefix.size(), prefix) == 0,
             "%s: error '%s' should begin with '%s'", Shown(args).c_str(), error.c_str(),
             prefix.c_str());
}

}  // namespace
}  // namespace echo

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using echo::Action;
  const std::vector<std::string> args = echo::SplitArgs(data, size);
  const echo::FlagParseResult got = echo::ParseServerFlags(args);
  const echo::ExpectedFlags want = echo::ModelServerFlags(args);
  FUZZ_CHECK(got.action == want.action, "%s: parsed as %s (%s), documented as %s (%s)",
             echo::Shown(args).c_str(), echo::ActionName(got.action), got.error.c_str(),
             echo::ActionName(want.action), want.error_prefix.c_str());
  if (got.action == Action::kRun) echo::CheckOptions(got.options, want.options, args);
  if (got.action == Action::kUsageError) {
    echo::CheckUsageError(got.error, want.error_prefix, args);
  }
  return 0;
}
