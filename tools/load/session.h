// session.h: Session, what every mode of a run shares (the options, the run
// context, the progress line) and the phases modes are built from; the
// EchoExchange shape; and RunLoad(), which runs a mode.
//
// Every phase dispatches events through RunUntil(), which also calls the
// mode's periodic check (timeouts) and, each second, samples the totals for
// the report's timeline and the progress line.

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

constexpr uint32_t kReadWriteEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
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
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // Empty if the session can run, else why not (no epoll, bad address).
  const std::string& setup_error() const { return setup_error_; }

  const LoadOptions& options() const { return options_; }
  RunContext& run() { return run_; }
  TrafficTotals& totals() { return run_.totals; }
  Nanos timeout() const { return options_.timeout_ms * kNanosPerMilli; }
  Nanos duration() const { return options_.duration_ms * kNanosPerMilli; }
  // A stopped run (SIGINT, SIGTERM) skips the rest of connecting and of its
  // measured phase, then winds down as usual, so that only what the server
  // did wrong is an error.
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

  // The wind-down of modes that must get back every byte they sent: runs
  // until no open connection owes an echo or the timeout has passed; those
  // still owing are stalled errors, the others are closed cleanly.
  void AwaitEchoes(Connections& connections, const EventHandler& on_event);

  // Abandons every open connection for which `waiting` (null: any) holds
  // and where nothing moved for the timeout, as waiting for `what`.
  void AbandonStalled(Connections& connections, const std::string& what,
                      bool (*waiting)(const ClientConnection&) = nullptr);

  // Runs the loop until `done()` (checked after every wakeup) or
  // `deadline`; `on_tick`, if set, runs at least every kTickInterval.
  void RunUntil(Nanos deadline, const std::function<bool()>& done,
                const EventHandler& on_event, const std::function<void()>& on_tick = nullptr);

  void ClearProgress();  // Erases the progress line.

  // The fields every mode fills the same way: options, timeline, measured
  // phase and rates, totals and errors. Ends the timeline: call it once.
  LoadReport BaseReport();

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

inline bool AllEchoed(const Connections& connections) {
  for (const ClientConnection& c : connections) {
    if (c.open() && OwesEcho(c)) return false;
  }
  return true;
}

// The modes that send and read on every connection and must get back every
// byte they sent (bulk, ping-pong, integrity, half-close): a subclass says
// how one connection receives and sends; RunPhases() does the rest.
class EchoExchange {
 public:
  virtual ~EchoExchange() = default;

 protected:
  explicit EchoExchange(Session& session);  // Opens the connections.

  // The measured phase for `length` (a connection for which `waiting`,
  // null: any, holds and where nothing moves for the timeout fails as
  // stalled waiting for `what`), then Session::AwaitEchoes() without
  // sending. Returns the base report.
  LoadReport RunPhases(Nanos length, const std::string& what,
                       bool (*waiting)(const ClientConnection&));

  // On a readable event (EPOLLERR, EPOLLHUP too) of open connection `i`.
  virtual void Receive(size_t i, uint32_t events) = 0;
  // After every event of open connection `i` until sending stops: reading
  // may have made room to send.
  virtual void Send(size_t i) = 0;

  Session& session_;
  Connections connections_;

 private:
  void OnEvent(const ReadyEvent& event);

  bool sending_ = true;
};

// Runs session.options().mode (modes.cc) to the end: every failure is in
// the report's errors.
LoadReport RunLoad(Session& session);

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_SESSION_H_
