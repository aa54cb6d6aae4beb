// session.h: Session, what every mode of a run shares and the phases modes
// are built from; and RunLoad(), which runs a mode (modes.cc).

#ifndef ECHO_LAB_TOOLS_LOAD_SESSION_H_
#define ECHO_LAB_TOOLS_LOAD_SESSION_H_

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tools/load/client_connection.h"
#include "tools/load/flags.h"
#include "tools/load/report.h"

namespace echo {
namespace load {

using EventHandler = std::function<void(const ReadyEvent&)>;
using Connections = std::vector<ClientConnection>;

// A phase length without a deadline.
constexpr Nanos kForever = std::numeric_limits<Nanos>::max();

inline double SecondsBetween(Nanos from, Nanos to) {
  return static_cast<double>(to - from) / static_cast<double>(kNanosPerSecond);
}

class Session {
 public:
  // Connects at most this many at once: a burst of thousands of SYNs would
  // overflow the server's accept queue and stall in SYN retransmits.
  static constexpr size_t kMaxConnectsInProgress = 256;
  // How often RunUntil() calls its periodic check.
  static constexpr Nanos kTickInterval = 100 * kNanosPerMilli;
  static constexpr size_t kReadBufferSize = 256 * 1024;

  // The run, its timeline and start_time start now. `show_progress`: a
  // progress line on stderr each second. Once `*stop` (if not null) is
  // non-zero, connecting and the measured phase end early (stopped()).
  Session(const LoadOptions& options, bool show_progress,
          const volatile std::sig_atomic_t* stop = nullptr);
  // Empty if the session can run, else why not (no epoll, bad address).
  const std::string& setup_error() const { return setup_error_; }

  const LoadOptions& options() const { return options_; }
  RunContext& run() { return run_; }
  TrafficTotals& totals() { return run_.totals; }
  Nanos timeout() const { return options_.timeout_ms * kNanosPerMilli; }
  Nanos duration() const { return options_.duration_ms * kNanosPerMilli; }
  bool stopped() const { return stop_ != nullptr && *stop_ != 0; }

  // The loop's last wakeup, for deadlines and progress (not latency).
  Nanos now() const { return run_.now; }
  Nanos RefreshNow() { return run_.now = MonotonicNow(); }

  // Opens streams 0 .. count - 1, watched for `events` with their index as
  // tag, and waits until each is open or has failed (logged, kClosed); a
  // connect not done within the timeout fails. Once stopped(), connects not
  // done are dropped without an error.
  Connections ConnectAll(size_t count, uint32_t events);

  // Hands every open connection `kick_events` (edges that fired while
  // ConnectAll() waited for others were never handled and will not fire
  // again), then RunUntil() `done()` (null: every connection is closed) or
  // `length` has passed.
  void RunPhase(Connections& connections, Nanos length, const std::function<bool()>& done,
                const EventHandler& on_event, const std::function<void()>& on_tick = nullptr,
                uint32_t kick_events = kAnyEvent);

  // The measured phase: RunPhase() until `done()` (null: every connection
  // is closed), `length` or stopped(). Its length, and the bytes verified
  // and messages counted by its end, make the report's rates.
  void Measure(Connections& connections, Nanos length, const EventHandler& on_event,
               const std::function<void()>& on_tick = nullptr, uint32_t kick_events = kAnyEvent,
               const std::function<bool()>& done = nullptr);

  // Runs the loop until `done()` (checked after every wakeup) or
  // `deadline`; `on_tick`, if set, runs at least every kTickInterval; each
  // second the totals go to the timeline and the progress line.
  void RunUntil(Nanos deadline, const std::function<bool()>& done,
                const EventHandler& on_event, const std::function<void()>& on_tick = nullptr);

  void ClearProgress();  // Erases the progress line.

  // The fields every mode fills the same way: options, timeline, measured
  // phase and rates, totals and errors. Ends the timeline: call it once.
  void FillReport(LoadReport& report);

 private:
  void Sample();  // Adds the time since the last sample to the timeline.

  const LoadOptions options_;
  const bool show_progress_;
  const volatile std::sig_atomic_t* const stop_;
  RunContext run_;
  std::string setup_error_;
  std::string start_time_;
  Nanos start_ = 0;
  IntervalLog timeline_;
  Nanos sampled_at_ = 0;  // The last sample, and the totals then.
  Interval sampled_;
  bool progress_shown_ = false;
  double measured_seconds_ = 0;  // The measured phase, and the totals at its end.
  TrafficTotals measured_;
};

// Runs session.options().mode to the end: every failure is in the report's
// errors.
LoadReport RunLoad(Session& session);

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_SESSION_H_
