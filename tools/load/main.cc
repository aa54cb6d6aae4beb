// main.cc: the echo_load program: flags, signals, descriptor limit, one run.

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "src/posix/system_limits.h"
#include "tools/load/flags.h"
#include "tools/load/session.h"

namespace {

constexpr int kExitErrors = 1;
constexpr int kExitUsage = 2;

volatile std::sig_atomic_t stop_requested = 0;

// SIGINT (Ctrl-C) and SIGTERM stop the run early (the signal cuts the
// loop's wait short). Repeats only set the flag again: a signal often comes
// twice, to the process and to its group (coreutils' timeout does both),
// and the second must not kill the run before it reports.
void CatchStopSignals() {
  struct sigaction action {};
  action.sa_handler = [](int) { stop_requested = 1; };
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  // Sends use MSG_NOSIGNAL; this also covers any other write to a socket.
  std::signal(SIGPIPE, SIG_IGN);
  CatchStopSignals();

  using Action = echo::load::LoadFlagsResult::Action;
  const echo::load::LoadFlagsResult parsed =
      echo::load::ParseLoadFlags(std::vector<std::string>(argv + 1, argv + argc));
  switch (parsed.action) {
    case Action::kHelp:
      std::fputs(echo::load::LoadHelpText().c_str(), stdout);
      return 0;
    case Action::kVersion:
      std::printf("%s\n", echo::load::LoadVersionText().c_str());
      return 0;
    case Action::kUsageError:
      std::fprintf(stderr, "echo_load: %s\n%s\n", parsed.error.c_str(),
                   echo::load::LoadUsageLine().c_str());
      return kExitUsage;
    case Action::kRun:
      break;
  }

  // 10,000 idle connections need 10,000 descriptors, and the usual soft
  // limit is 1024. Not raising it is not fatal: connects beyond the limit
  // fail and are reported.
  echo::RaiseDescriptorLimit();
  echo::load::Session session(parsed.options, ::isatty(STDERR_FILENO) == 1, &stop_requested);
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
  return report.errors.count() == 0 ? 0 : kExitErrors;
}
