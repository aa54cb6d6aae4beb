// main.cc: the echo_server program: flags, listener, signals, loop.

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <ev++.h>

#include "src/posix/listener.h"
#include "src/posix/socket_address.h"
#include "src/server/echo_server.h"
#include "src/server/server_flags.h"

namespace {

constexpr int kExitRuntimeError = 1;
constexpr int kExitUsage = 2;

struct StopOnSignal {
  echo::EchoServer* server;
  ev::loop_ref loop;

  void operator()(ev::sig& /*watcher*/, int /*revents*/) {
    server->Stop();
    loop.break_loop(ev::ALL);
  }
};

int Serve(const echo::ServerOptions& options) {
  const auto address = echo::SocketAddress::Parse(options.bind, options.port);
  // ParseServerFlags validated the address already.
  if (!address) return kExitUsage;
  echo::ListenResult listen = echo::OpenListener(*address);
  if (!listen.error.empty()) {
    std::fprintf(stderr, "echo_server: %s\n", listen.error.c_str());
    return kExitRuntimeError;
  }

  ev::default_loop loop;
  echo::EchoServer server(loop, std::move(listen.fd), {});

  StopOnSignal stop{&server, loop};
  ev::sig on_interrupt(loop);
  ev::sig on_terminate(loop);
  on_interrupt.set<StopOnSignal, &StopOnSignal::operator()>(&stop);
  on_terminate.set<StopOnSignal, &StopOnSignal::operator()>(&stop);
  on_interrupt.start(SIGINT);
  on_terminate.start(SIGTERM);

  std::fprintf(stderr, "echo_server: listening on %s\n",
               listen.bound->ToString().c_str());
  loop.run(0);
  std::fprintf(stderr, "echo_server: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
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
                   echo::ServerUsageLine());
      return kExitUsage;
    case echo::FlagParseResult::Action::kRun:
      break;
  }
  return Serve(parsed.options);
}
