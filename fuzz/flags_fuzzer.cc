// flags_fuzzer.cc: the `flags` fuzz target. The input is an argv, arguments
// separated by NUL bytes; ParseServerFlags must never crash, and every
// outcome must be well-formed:
//   - a usage error has a non-empty, single-line message;
//   - a successful parse yields an address that parses again, and a port
//     that is the default or was written in the arguments;
//   - parsing is deterministic.

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "src/posix/socket_address.h"
#include "src/server/server_flags.h"

namespace {

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using Action = echo::FlagParseResult::Action;
  const std::vector<std::string> args = SplitArgs(data, size);
  const echo::FlagParseResult result = echo::ParseServerFlags(args);
  switch (result.action) {
    case Action::kUsageError:
      FUZZ_CHECK(!result.error.empty(), "usage error without a message");
      FUZZ_CHECK(result.error.find('\n') == std::string::npos,
                 "error message is not one line: %s", result.error.c_str());
      break;
    case Action::kRun:
      FUZZ_CHECK(echo::SocketAddress::Parse(result.options.bind,
                                            result.options.port).has_value(),
                 "accepted bind address '%s' does not parse",
                 result.options.bind.c_str());
      if (result.options.port != echo::ServerOptions().port) {
        const std::string port = std::to_string(result.options.port);
        bool written = false;
        for (const std::string& arg : args) {
          written |= arg.find(port) != std::string::npos;
        }
        FUZZ_CHECK(written, "port %s appears in no argument", port.c_str());
      }
      break;
    case Action::kHelp:
    case Action::kVersion:
      break;
  }
  const echo::FlagParseResult again = echo::ParseServerFlags(args);
  FUZZ_CHECK(again.action == result.action && again.error == result.error &&
                 again.options.bind == result.options.bind &&
                 again.options.port == result.options.port,
             "parsing is not deterministic");
  return 0;
}
