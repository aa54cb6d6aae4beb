// session.h: Session, what every mode of a run shares (the options, the run
// context, the progress line) and the driving loop every mode is built from.
//
// A mode is a sequence of phases over its connections: ConnectAll() opens
// them before anything is measured; Measure() runs the measured phase;
// RunPhase() runs any other (a read-back, a liveness probe); AwaitEchoes()
// is the wind-down of modes that must get back every byte they sent. All
// of them dispatch events through RunUntil(), which also calls the mode's
// periodic check (timeouts) and, each second, samples the totals for the
// report's timeline and the progress line.

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
#include "tools/load/event_loop.h"
#include "tools/load/flags.h"
#include "tools/load/report.h"

namespace echo {
namespace load {

using EventHandler = std::function<void(const ReadyEvent&)>;
using Connections = std::vector<ClientConnection>;

// Events a connection that reads and writes is watched for.
constexpr uint32_t kReadWriteEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
// A phase length without a deadline.
constexpr Nanos kForever = std::numeric_limits<Nanos>::max();

// Seconds between two monotonic stamps.
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
  // One recv() reads at most this much.
  static constexpr size_t kReadBufferSize = 256 * 1024;

  // `show_progress`: refresh a progress line on stderr each second. The
  // run, and its timeline, start now; so does the report's start_time,
  // read from the real-time clock. Once `*stop` (if not null) is non-zero,
  // connecting and the measured phase end early: see stopped().
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
  // Whether the run was told to stop (SIGINT, SIGTERM). A stopped run skips
  // what is left of connecting and of its measured phase, then winds down
  // as usual (bounded by the timeout), so that its report stays true: only
  // what the server did wrong is an error.
  bool stopped() const { return stop_ != nullptr && *stop_ != 0; }

  // The time of the loop's last wakeup (refreshed by RunUntil()); cheap, for
  // deadlines and progress stamps. Latency uses MonotonicNow() instead.
  Nanos now() const { return run_.now; }
  Nanos RefreshNow() { return run_.now = MonotonicNow(); }

  // Opens connections for streams 0 .. count - 1, watched for `events` with
  // their index as tag, and waits until each is open or has failed (logged;
  // state kClosed): a connect not done within the timeout fails. Once
  // stopped(), connects not done are dropped without an error.
  Connections ConnectAll(size_t count, uint32_t events);

  // Runs a phase over `connections`: first hands every open one
  // `kick_events` (edges that fired while ConnectAll() waited for other
  // connections were not handled, and with edge-triggered epoll they will
  // not fire again), then RunUntil() `done()` (null: every connection is
  // closed) or `length` has passed.
  void RunPhase(Connections& connections, Nanos length, const std::function<bool()>& done,
                const EventHandler& on_event, const std::function<void()>& on_tick = nullptr,
                uint32_t kick_events = kAnyEvent);

  // The measured phase: RunPhase() until every connection is closed,
  // `length` has passed or the run is stopped(). Its length, and the bytes
  // verified and the messages counted by its end, make the report's rates.
  void Measure(Connections& connections, Nanos length, const EventHandler& on_event,
               const std::function<void()>& on_tick = nullptr, uint32_t kick_events = kAnyEvent);
  // The same for a mode without a fixed set of connections (churn): from
  // now until `done()`, `length` or stopped().
  void MeasureUntil(Nanos length, const std::function<bool()>& done,
                    const EventHandler& on_event, const std::function<void()>& on_tick);

  // The wind-down of modes that stop sending and must get back every byte
  // they sent: runs `on_event` until no open connection owes an echo or the
  // timeout has passed; those still owing are stalled errors, the others
  // are closed cleanly.
  void AwaitEchoes(Connections& connections, const EventHandler& on_event);

  // Abandons every connection for which `waiting` (null: any) holds and
  // where nothing moved for the timeout; `what` says what it waited for.
  void AbandonStalled(Connections& connections, const std::string& what,
                      bool (*waiting)(const ClientConnection&) = nullptr);

  // Runs the loop until `done()` is true (checked after every wakeup) or
  // `deadline` passes. Each ready event goes to `on_event`; `on_tick`, if
  // set, runs at least every kTickInterval.
  void RunUntil(Nanos deadline, const std::function<bool()>& done,
                const EventHandler& on_event, const std::function<void()>& on_tick = nullptr);

  // Erases the progress line (call before printing the summary).
  void ClearProgress();

  // The report's fields every mode fills the same way: the options, the
  // timeline, the measured phase and its rates, totals and errors. Ends the
  // timeline: call it once, at the end of the run.
  LoadReport BaseReport();

 private:
  // Ends the measured phase, begun at `start`.
  void EndMeasuring(Nanos start);
  // Adds the time since the last sample to the timeline.
  void Sample();

  const LoadOptions options_;
  const bool show_progress_;
  const volatile std::sig_atomic_t* const stop_;
  RunContext run_;
  std::string setup_error_;
  std::string start_time_;
  Nanos start_ = 0;
  IntervalLog timeline_;
  // When the last sample was taken, and the run's totals then.
  Nanos sampled_at_ = 0;
  Interval sampled_;
  bool progress_shown_ = false;
  // The measured phase's length, and the totals at its end.
  double measured_seconds_ = 0;
  TrafficTotals measured_;
};

// Whether no open connection owes an echo.
inline bool AllEchoed(const Connections& connections) {
  for (const ClientConnection& c : connections) {
    if (c.open() && OwesEcho(c)) return false;
  }
  return true;
}

// The shape of the modes that send and read on every connection and must
// get back every byte they sent (bulk, ping-pong, integrity, half-close).
// A subclass says how one connection receives and sends; RunPhases() does
// the rest.
class EchoExchange {
 public:
  virtual ~EchoExchange() = default;

 protected:
  // Opens the connections, watched for reading and writing.
  explicit EchoExchange(Session& session);

  // The measured phase, for `length` or until every connection is closed,
  // in which a connection for which `waiting` (null: any) holds and where
  // nothing moves for the timeout fails as stalled waiting for `what`;
  // then, sending stopped, Session::AwaitEchoes(). Returns the base report.
  LoadReport RunPhases(Nanos length, const std::string& what,
                       bool (*waiting)(const ClientConnection&));

  // Called on a readable event (EPOLLERR and EPOLLHUP too: recv() reports
  // the reset or EOF) of open connection `i`, with the event's bits.
  virtual void Receive(size_t i, uint32_t events) = 0;
  // Called after every event of connection `i` while it is open, until
  // sending stops: reading may have opened room to send.
  virtual void Send(size_t i) = 0;

  Session& session_;
  Connections connections_;

 private:
  void OnEvent(const ReadyEvent& event);

  bool sending_ = true;
};

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_SESSION_H_
