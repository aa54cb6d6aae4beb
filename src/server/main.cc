// main.cc: the echo_server program: flags, listener, signals, loop.

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <ev++.h>

#include "src/posix/listener.h"
#include "src/posix/socket_address.h"
#include "src/posix/system_limits.h"
#include "src/server/echo_server.h"
#include "src/server/event_loop_start.h"
#include "src/server/libev_clock.h"
#include "src/server/lifecycle.h"
#include "src/server/lifecycle_signals.h"
#include "src/server/log.h"
#include "src/server/server_flags.h"

namespace {

constexpr int kExitRuntimeError = 1;
constexpr int kExitUsage = 2;

echo::EchoServerConfig ConfigFrom(const echo::ServerOptions& options) {
  echo::EchoServerConfig config;
  // Reading resumes once a quarter of the limit is left: far enough below it
  // that a slow reader does not make the connection flap.
  config.connection.watermarks = {options.queue_limit / 4, options.queue_limit};
  config.connection.idle_timeout = options.idle_timeout;
  config.connection.send_timeout = options.send_timeout;
  config.max_connections = options.max_connections;
  config.max_connections_per_ip = options.max_connections_per_ip;
  return config;
}

// The default soft descriptor limit (often 1024) is far below
// --max-connections, and each client needs one: raise it, and warn if it
// stays below what that takes.
void RaiseDescriptorLimitFor(size_t wanted) {
  const uint64_t limit = echo::RaiseDescriptorLimit();
  if (limit < wanted + 16) {
    echo::Log(echo::LogLevel::kWarn,
              "descriptor limit %llu is below --max-connections %zu; extra clients "
              "will be refused", static_cast<unsigned long long>(limit), wanted);
  }
}

int Serve(const echo::ServerOptions& options) {
  echo::SetLogLevel(options.log_level);
  RaiseDescriptorLimitFor(options.max_connections);
  const auto address = echo::SocketAddress::Parse(options.bind, options.port);
  // ParseServerFlags validated the address already.
  if (!address) return kExitUsage;
  echo::ListenOptions listen_options;
  listen_options.socket_buffer = static_cast<int>(options.socket_buffer);
  echo::ListenResult listen = echo::OpenListener(*address, listen_options);
  if (!listen.error.empty()) {
    echo::Log(echo::LogLevel::kError, "%s", listen.error.c_str());
    return kExitRuntimeError;
  }

  if (!echo::CreateDefaultLoop()) return kExitRuntimeError;
  ev::default_loop loop;  // The loop just created.
  // SIGTERM and SIGINT stop (drain, then at once), SIGUSR1 logs the counters.
  // Its descriptor comes before the server's reserve one, which the server
  // can do without (it then refuses clients it has no room for), and the
  // Lifecycle is only called once the loop runs.
  echo::Lifecycle* lifecycle = nullptr;
  echo::LifecycleSignals signals(loop, [&lifecycle](int signum) {
    if (signum == SIGUSR1) {
      lifecycle->OnStatsSignal();
    } else {
      lifecycle->OnStopSignal(signum);
    }
  });
  if (!signals.valid()) {
    echo::Log(echo::LogLevel::kError, "cannot watch signals: signalfd: %s",
              std::strerror(errno));
    return kExitRuntimeError;
  }
  echo::LibevClock clock(loop);
  echo::ListenerAcceptor acceptor(std::move(listen.fd));
  echo::EchoServer server(loop, &acceptor, &clock, ConfigFrom(options));
  echo::Lifecycle stopping(&server, &clock, options.drain_timeout,
                           [&loop] { loop.break_loop(ev::ALL); });
  lifecycle = &stopping;

  echo::LogAlways("listening on %s", listen.bound->ToString().c_str());
  loop.run(0);
  echo::LogStats("final", server.stats());
  echo::Log(echo::LogLevel::kInfo, "stopped");
  // Whatever reads stderr gets a second to take the dropped-line count.
  echo::ReportDroppedLogLines(std::chrono::seconds(1));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // First of all: from here on a stop or stats signal waits to be read
  // instead of killing the process (lifecycle_signals.h).
  echo::BlockLifecycleSignals();
  // Sends use MSG_NOSIGNAL already; ignoring SIGPIPE as well means no future
  // write path can ever be killed by a vanished peer.
  std::signal(SIGPIPE, SIG_IGN);

  const std::vector<std::string> args(argv + 1, argv + argc);
  const echo::FlagParseResult parsed = echo::ParseServerFlags(args);
  switch (parsed.action) {
    case echo::FlagParseResult::Action::kHelp:
      std::fputs(echo::ServerHelpText().c_str(), stdout);
      return 0;
    case echo::FlagParseResult::Action::kVersion:
      std::printf("%s\n", echo::ServerVersionText());
      return 0;
    case echo::FlagParseResult::Action::kUsageError:
      std::fprintf(stderr, "echo_server: %s\n%s\n", parsed.error.c_str(),
                   echo::ServerUsageLine().c_str());
      return kExitUsage;
    case echo::FlagParseResult::Action::kRun:
      break;
  }
  return Serve(parsed.options);
}
