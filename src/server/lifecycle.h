// lifecycle.h: Lifecycle, what the serving process does on each signal, as
// plain calls that main() wires to signal watchers and fuzzers call directly.
//
//   - The first stop request (SIGTERM, SIGINT) drains the server: no new
//     clients, every connection writes what it has queued and closes. The
//     drain ends when the last connection is gone, or when the drain timeout
//     fires, whichever comes first; then the server is stopped.
//   - A second stop request during the drain stops the server at once.
//   - A stats request (SIGUSR1) logs the counters.
//   - However it ends, `on_finished` runs exactly once, from the event loop
//     or from the call that ended it, never from inside EchoServer.

#ifndef ECHO_LAB_SERVER_LIFECYCLE_H_
#define ECHO_LAB_SERVER_LIFECYCLE_H_

#include <functional>
#include <memory>

#include "src/core/monotonic_time.h"
#include "src/server/clock.h"
#include "src/server/echo_server.h"

namespace echo {

// Logs "`when`: open N, total N, refused N, timed out N, bytes in N, bytes
// out N, loop errors N" at info level.
void LogStats(const char* when, const EchoServerStats& stats);

class Lifecycle {
 public:
  // `server` and `clock` must outlive the lifecycle.
  Lifecycle(EchoServer* server, Clock* clock, Duration drain_timeout,
            std::function<void()> on_finished);

  Lifecycle(const Lifecycle&) = delete;
  Lifecycle& operator=(const Lifecycle&) = delete;

  // A stop signal (`signum` is logged): drain first, stop at the second.
  // Ignored once finished.
  void OnStopSignal(int signum);
  // A stats signal: logs the counters.
  void OnStatsSignal();

 private:
  void OnDrainTimeout();
  void Finish();

  EchoServer* server_;
  const Duration drain_timeout_;
  std::function<void()> on_finished_;
  std::unique_ptr<Timer> drain_timer_;
  bool draining_ = false;
  bool finished_ = false;
};

}  // namespace echo

#endif  // ECHO_LAB_SERVER_LIFECYCLE_H_
