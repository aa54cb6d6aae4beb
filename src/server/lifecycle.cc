#include "src/server/lifecycle.h"

#include <chrono>
#include <utility>

#include "src/server/log.h"

namespace echo {

void LogStats(const char* when, const EchoServerStats& s) {
  Log(LogLevel::kInfo,
      "%s: open %zu, total %llu, refused %llu, timed out %llu, "
      "bytes in %llu, bytes out %llu, loop errors %llu",
      when, s.open, static_cast<unsigned long long>(s.accepted),
      static_cast<unsigned long long>(s.refused),
      static_cast<unsigned long long>(s.timed_out),
      static_cast<unsigned long long>(s.bytes_in),
      static_cast<unsigned long long>(s.bytes_out),
      static_cast<unsigned long long>(s.loop_errors));
}

Lifecycle::Lifecycle(EchoServer* server, Clock* clock, Duration drain_timeout,
                     std::function<void()> on_finished)
    : server_(server),
      drain_timeout_(drain_timeout),
      on_finished_(std::move(on_finished)),
      drain_timer_(clock->NewTimer([this] { OnDrainTimeout(); })) {}

void Lifecycle::OnStopSignal(int signum) {
  if (finished_) return;
  if (draining_) {
    Log(LogLevel::kInfo, "second signal: closing %zu connections now",
        server_->stats().open);
    Finish();
    return;
  }
  draining_ = true;
  Log(LogLevel::kInfo, "signal %d: draining %zu connections (up to %.3f s)",
      signum, server_->stats().open,
      std::chrono::duration<double>(drain_timeout_).count());
  drain_timer_->Start(drain_timeout_);
  // With no connection left this runs at once; otherwise from the loop.
  server_->Drain([this] { Finish(); });
}

void Lifecycle::OnStatsSignal() { LogStats("stats", server_->stats()); }

// A draining connection is either still writing what it has queued, or has
// written it all and lingers for the client's close (see ConnectionDriver).
void Lifecycle::OnDrainTimeout() {
  const EchoServerStats stats = server_->stats();
  Log(LogLevel::kWarn,
      "drain timeout: closing %zu connections: %zu with output still queued, "
      "%zu lingering (all sent, waiting for the client to close)",
      stats.open, stats.open - stats.lingering, stats.lingering);
  Finish();
}

void Lifecycle::Finish() {
  if (finished_) return;
  finished_ = true;
  drain_timer_->Stop();
  server_->Stop();
  on_finished_();
}

}  // namespace echo
