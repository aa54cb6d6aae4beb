// main.cc: the echo_server program: flags, listener, signals, loop.

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <ev++.h>

#include "src/core/bug_injection.h"
#include "src/posix/listener.h"
#include "src/posix/socket_address.h"
#include "src/server/echo_server.h"
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
  config.max_connections = options.max_connections;
  return config;
}

void LogStats(const char* when, const echo::EchoServerStats& s) {
  echo::Log(echo::LogLevel::kInfo,
            "%s: open %zu, total %llu, refused %llu, timed out %llu, "
            "bytes in %llu, bytes out %llu",
            when, s.open, static_cast<unsigned long long>(s.accepted),
            static_cast<unsigned long long>(s.refused),
            static_cast<unsigned long long>(s.timed_out),
            static_cast<unsigned long long>(s.bytes_in),
            static_cast<unsigned long long>(s.bytes_out));
}

// The process's reaction to signals: a first SIGTERM/SIGINT drains (bounded
// by the drain timeout), a second one stops at once; SIGUSR1 logs counters.
class Lifecycle {
 public:
  Lifecycle(ev::loop_ref loop, echo::EchoServer* server, echo::Millis drain_timeout)
      : loop_(loop), server_(server), drain_timeout_(drain_timeout),
        on_interrupt_(loop), on_terminate_(loop), on_usr1_(loop), drain_timer_(loop) {
    on_interrupt_.set<Lifecycle, &Lifecycle::OnStopSignal>(this);
    on_terminate_.set<Lifecycle, &Lifecycle::OnStopSignal>(this);
    on_usr1_.set<Lifecycle, &Lifecycle::OnStatsSignal>(this);
    drain_timer_.set<Lifecycle, &Lifecycle::OnDrainTimeout>(this);
    on_interrupt_.start(SIGINT);
    on_terminate_.start(SIGTERM);
    on_usr1_.start(SIGUSR1);
  }

 private:
  void OnStopSignal(ev::sig& watcher, int /*revents*/) {
    if (draining_) {
      echo::Log(echo::LogLevel::kInfo, "second signal: closing %zu connections now",
                server_->stats().open);
      Finish();
      return;
    }
    draining_ = true;
    echo::Log(echo::LogLevel::kInfo,
              "signal %d: draining %zu connections (up to %.3f s)", watcher.signum,
              server_->stats().open, drain_timeout_ / 1000.0);
    drain_timer_.start(drain_timeout_ / 1000.0, 0.0);
    server_->Drain([this] { Finish(); });
  }

  void OnStatsSignal(ev::sig& /*watcher*/, int /*revents*/) {
    LogStats("stats", server_->stats());
  }

  void OnDrainTimeout(ev::timer& /*watcher*/, int /*revents*/) {
    echo::Log(echo::LogLevel::kWarn,
              "drain timeout: closing %zu connections with output still queued",
              server_->stats().open);
    Finish();
  }

  void Finish() {
    drain_timer_.stop();
    server_->Stop();
    loop_.break_loop(ev::ALL);
  }

  ev::loop_ref loop_;
  echo::EchoServer* server_;
  const echo::Millis drain_timeout_;
  bool draining_ = false;
  ev::sig on_interrupt_;
  ev::sig on_terminate_;
  ev::sig on_usr1_;
  ev::timer drain_timer_;
};

// Raises the soft descriptor limit to the hard one: the default soft limit
// (often 1024) is far below --max-connections, and each client needs one.
void RaiseDescriptorLimit(size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < wanted + 16) {
    echo::Log(echo::LogLevel::kWarn,
              "descriptor limit %llu is below --max-connections %zu; extra clients "
              "will be refused", static_cast<unsigned long long>(limit.rlim_cur), wanted);
  }
}

int Serve(const echo::ServerOptions& options) {
  echo::SetLogLevel(options.log_level);
  RaiseDescriptorLimit(options.max_connections);
  const auto address = echo::SocketAddress::Parse(options.bind, options.port);
  // ParseServerFlags validated the address already.
  if (!address) return kExitUsage;
  echo::ListenResult listen = echo::OpenListener(*address);
  if (!listen.error.empty()) {
    echo::Log(echo::LogLevel::kError, "%s", listen.error.c_str());
    return kExitRuntimeError;
  }

  ev::default_loop loop;
  echo::EchoServer server(loop, std::move(listen.fd), ConfigFrom(options));
  Lifecycle lifecycle(loop, &server, options.drain_timeout);

  echo::LogAlways("listening on %s", listen.bound->ToString().c_str());
  loop.run(0);
  LogStats("final", server.stats());
  echo::Log(echo::LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Sends use MSG_NOSIGNAL already; ignoring SIGPIPE as well means no future
  // write path can ever be killed by a vanished peer.
#if !ECHO_BUG_SIGPIPE  // INJECTED BUG SIGPIPE: keeps SIGPIPE's default action.
  std::signal(SIGPIPE, SIG_IGN);
#endif

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
