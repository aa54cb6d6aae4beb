// session.h: Session, what every mode of a run shares: the options, the
// event loop, the data pattern, the server address, the error log, live
// totals, one receive buffer, and the progress line.
//
// It also runs the two loops every mode is built from: ConnectAll(), which
// opens the connections before anything is measured, and RunUntil(), which
// dispatches events until the mode is done or a deadline passes, calling
// the mode's periodic check (timeouts) and refreshing the progress line.

#ifndef ECHO_LAB_TOOLS_LOAD_SESSION_H_
#define ECHO_LAB_TOOLS_LOAD_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "src/posix/socket_address.h"
#include "tools/load/client_connection.h"
#include "tools/load/error_log.h"
#include "tools/load/event_loop.h"
#include "tools/load/flags.h"
#include "tools/load/pattern.h"
#include "tools/load/report.h"

namespace echo {
namespace load {

// Events a connection that reads and writes is watched for.
constexpr uint32_t kReadWriteEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;

class Session {
 public:
  // Connects at most this many at once: a burst of thousands of SYNs would
  // overflow the server's accept queue and stall in SYN retransmits.
  static constexpr size_t kMaxConnectsInProgress = 256;
  // How often RunUntil() calls its periodic check.
  static constexpr Nanos kTickInterval = 100 * kNanosPerMilli;
  // One recv() reads at most this much.
  static constexpr size_t kReadBufferSize = 256 * 1024;

  // `show_progress`: refresh a progress line on stderr each second.
  Session(const LoadOptions& options, bool show_progress);

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Empty if the session can run, else why not (no epoll, bad address).
  const std::string& setup_error() const { return setup_error_; }

  const LoadOptions& options() const { return options_; }
  EventLoop& loop() { return loop_; }
  const PatternTable& pattern() const { return pattern_; }
  const SocketAddress& server() const { return *server_; }
  ErrorLog& errors() { return errors_; }
  TrafficTotals& totals() { return totals_; }
  uint8_t* read_buffer() { return read_buffer_.data(); }
  size_t read_buffer_size() const { return read_buffer_.size(); }
  Nanos timeout() const { return options_.timeout_ms * kNanosPerMilli; }

  // The time of the loop's last wakeup (refreshed by RunUntil()); cheap, for
  // deadlines and progress stamps. Latency uses MonotonicNow() instead.
  Nanos now() const { return now_; }
  Nanos RefreshNow() { return now_ = MonotonicNow(); }

  // Adds a connection's error() to the log.
  void LogFailure(const ClientConnection& connection) {
    errors_.Add(connection.error_kind(), connection.error());
  }

  // Opens connections for streams 0 .. count - 1, watched for `events` with
  // their index as tag, and waits until each is open or has failed (logged;
  // state kClosed): a connect not done within the timeout fails.
  std::vector<ClientConnection> ConnectAll(size_t count, uint32_t events);

  // The measured phase starts now: the progress line counts from here.
  void StartMeasuring() { measure_start_ = RefreshNow(); }

  // Runs the loop until `done()` is true (checked after every wakeup) or
  // `deadline` passes. Each ready event goes to `on_event`; `on_tick`, if
  // set, runs at least every kTickInterval.
  void RunUntil(Nanos deadline, const std::function<bool()>& done,
                const std::function<void(const ReadyEvent&)>& on_event,
                const std::function<void()>& on_tick = nullptr);

  // Erases the progress line (call before printing the summary).
  void ClearProgress();

  // The report's fields every mode fills the same way: configuration,
  // totals and errors. `seconds` is the measured phase; rates are derived
  // from `verified_in_phase` and `messages_in_phase`.
  LoadReport BaseReport(double seconds, uint64_t verified_in_phase,
                        uint64_t messages_in_phase) const;

 private:
  void MaybeShowProgress();

  const LoadOptions options_;
  const bool show_progress_;
  EventLoop loop_;
  PatternTable pattern_;
  std::optional<SocketAddress> server_;
  std::string setup_error_;
  ErrorLog errors_;
  TrafficTotals totals_;
  std::vector<uint8_t> read_buffer_;
  Nanos now_ = 0;
  Nanos measure_start_ = 0;
  // Progress line state: when it was last drawn, the totals then.
  Nanos progress_at_ = 0;
  uint64_t progress_verified_ = 0;
  uint64_t progress_messages_ = 0;
  bool progress_shown_ = false;
};

// Seconds between two monotonic stamps.
inline double SecondsBetween(Nanos from, Nanos to) {
  return static_cast<double>(to - from) / static_cast<double>(kNanosPerSecond);
}

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_SESSION_H_
