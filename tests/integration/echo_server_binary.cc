#include "tests/integration/echo_server_binary.h"

#include <cstdlib>

namespace echo {
namespace testing {

std::string RunfilesPath(const std::string& workspace_relative) {
  const char* root = std::getenv("TEST_SRCDIR");
  return root == nullptr ? workspace_relative + " (TEST_SRCDIR is not set)"
                         : std::string(root) + "/echo_lab/" + workspace_relative;
}

std::string ServerBinary() { return RunfilesPath("src/server/echo_server"); }

::testing::AssertionResult ParseListeningLine(const std::string& line,
                                              const std::string& prefix,
                                              uint16_t* port) {
  if (line.compare(0, prefix.size(), prefix) != 0) {
    return ::testing::AssertionFailure()
           << "startup line '" << line << "' does not start with '" << prefix
           << "'";
  }
  const std::string digits = line.substr(prefix.size());
  unsigned long value = 0;
  bool numeric = !digits.empty() && digits.size() <= 5;
  for (const char c : digits) {
    numeric = numeric && c >= '0' && c <= '9';
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (!numeric || value == 0 || value > 65535) {
    return ::testing::AssertionFailure()
           << "'" << digits << "' in startup line is not a port (1-65535)";
  }
  *port = static_cast<uint16_t>(value);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult StartEchoServer(
    const std::vector<std::string>& extra_args, const std::string& shown_host,
    Deadline deadline, std::unique_ptr<ChildProcess>* child, uint16_t* port,
    const std::vector<std::string>& launcher) {
  std::vector<std::string> command = launcher;
  command.push_back(ServerBinary());
  command.push_back("--port");
  command.push_back("0");
  command.insert(command.end(), extra_args.begin(), extra_args.end());
  const std::string program = command.front();
  command.erase(command.begin());
  auto spawned = ChildProcess::Spawn(program, command, child);
  if (!spawned) return spawned;
  // Start-up warnings (a low descriptor limit) may come first.
  std::optional<std::string> line = (*child)->ReadStderrLine(deadline);
  while (line && line->rfind("echo_server: warning: ", 0) == 0) {
    line = (*child)->ReadStderrLine(deadline);
  }
  if (!line) {
    return ::testing::AssertionFailure()
           << "no startup line; stderr: '" << (*child)->stderr_text() << "'";
  }
  return ParseListeningLine(*line, "echo_server: listening on " + shown_host + ":",
                            port);
}

}  // namespace testing
}  // namespace echo
