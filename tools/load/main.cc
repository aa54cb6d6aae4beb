// main.cc: the echo_load program: flags, descriptor limit, one run, report.

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/load/flags.h"
#include "tools/load/modes.h"
#include "tools/load/report.h"
#include "tools/load/session.h"

namespace {

constexpr int kExitErrors = 1;
constexpr int kExitUsage = 2;

// Soft limit up to the hard limit: 10,000 idle connections need 10,000
// descriptors, and the usual soft default is 1024. Failing to raise it is
// not fatal; connects beyond the limit then fail and are reported.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    std::fprintf(stderr, "echo_load: warning: cannot raise the descriptor limit\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Sends use MSG_NOSIGNAL; this also covers any other write to a socket.
  std::signal(SIGPIPE, SIG_IGN);

  const std::vector<std::string> args(argv + 1, argv + argc);
  const echo::load::LoadFlagsResult parsed = echo::load::ParseLoadFlags(args);
  switch (parsed.action) {
    case echo::load::LoadFlagsResult::Action::kHelp:
      std::fputs(echo::load::LoadHelpText().c_str(), stdout);
      return 0;
    case echo::load::LoadFlagsResult::Action::kVersion:
      std::printf("%s\n", echo::load::LoadVersionText().c_str());
      return 0;
    case echo::load::LoadFlagsResult::Action::kUsageError:
      std::fprintf(stderr, "echo_load: %s\n%s\n", parsed.error.c_str(),
                   echo::load::LoadUsageLine().c_str());
      return kExitUsage;
    case echo::load::LoadFlagsResult::Action::kRun:
      break;
  }

  RaiseDescriptorLimit();
  echo::load::Session session(parsed.options, ::isatty(STDERR_FILENO) == 1);
  if (!session.setup_error().empty()) {
    std::fprintf(stderr, "echo_load: error: %s\n", session.setup_error().c_str());
    return kExitErrors;
  }
  const echo::load::LoadReport report = echo::load::RunLoad(session);
  session.ClearProgress();
  const std::string summary = parsed.options.json ? echo::load::FormatJson(report)
                                                  : echo::load::FormatSummaryLine(report);
  std::printf("%s\n", summary.c_str());
  std::fflush(stdout);
  return report.errors == 0 ? 0 : kExitErrors;
}
