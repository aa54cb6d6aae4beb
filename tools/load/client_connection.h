// client_connection.h: ClientConnection, one verified non-blocking TCP
// connection; RunContext, what all connections of a run share; EventLoop,
// their edge-triggered epoll loop; and the monotonic clock.
//
// A connection does the socket calls and the byte accounting; the modes
// decide when to send, read, shut down or reset. Every failure abandons the
// connection and is logged at once, naming it: callers never log, so no
// failure is counted twice or lost. Sockets are drained on every event, so
// each is registered once, edge-triggered; a caller that stops reading or
// sending early owns the edge.

#ifndef ECHO_LAB_TOOLS_LOAD_CLIENT_CONNECTION_H_
#define ECHO_LAB_TOOLS_LOAD_CLIENT_CONNECTION_H_

#include <sys/epoll.h>
#include <time.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "src/posix/socket_address.h"
#include "src/posix/system_limits.h"
#include "src/posix/unique_fd.h"
#include "tools/load/error_log.h"
#include "tools/load/pattern.h"

namespace echo {
namespace load {

using Nanos = int64_t;

constexpr Nanos kNanosPerMilli = 1'000'000;
constexpr Nanos kNanosPerSecond = 1'000'000'000;

// CLOCK_MONOTONIC in nanoseconds (a vDSO call: cheap enough per message).
inline Nanos MonotonicNow() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<Nanos>(now.tv_sec) * kNanosPerSecond + now.tv_nsec;
}

struct ReadyEvent {
  uint64_t tag;     // As given to Watch().
  uint32_t events;  // EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR, EPOLLHUP.
};

class EventLoop {
 public:
  static constexpr int kMaxEventsPerWait = 1024;

  EventLoop() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_fd_.valid()) error_ = "epoll_create1: " + ErrnoText(errno);
  }

  // Empty if the loop works, else why epoll could not be created.
  const std::string& error() const { return error_; }

  // EPOLL_CTL_ADD or _MOD (which re-arms the edge) of `fd`, edge-triggered.
  // Returns 0 or an errno. A descriptor leaves the loop when it is closed.
  int Watch(int operation, int fd, uint32_t events, uint64_t tag) {
    epoll_event entry{};
    entry.events = events | EPOLLET;
    entry.data.u64 = tag;
    return ::epoll_ctl(epoll_fd_.get(), operation, fd, &entry) == 0 ? 0 : errno;
  }

  // Waits up to `timeout_ms`; returns how many event()s are ready. A signal
  // (EINTR: SIGWINCH, or SIGINT to stop the run) is just an early return.
  int Wait(int timeout_ms) {
    const int ready = ::epoll_wait(epoll_fd_.get(), events_, kMaxEventsPerWait, timeout_ms);
    return ready < 0 ? 0 : ready;
  }
  ReadyEvent event(int index) const { return {events_[index].data.u64, events_[index].events}; }

 private:
  UniqueFd epoll_fd_;
  std::string error_;
  epoll_event events_[kMaxEventsPerWait];
};

// Events that mean "try recv()": data, or the peer's EOF, reset or error.
constexpr uint32_t kReadableEvents = EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP;
// What a handler assumes without an event to go by: anything, EOF included.
constexpr uint32_t kAnyEvent = EPOLLIN | EPOLLOUT | EPOLLRDHUP;

// Whether the peer may have shut down or reset: then a read must go on to
// EOF or EAGAIN (see ClientConnection::ReadAvailable()).
inline bool PeerMayHaveClosed(uint32_t events) {
  return (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
}

struct TrafficTotals {  // Over every connection of a run.
  uint64_t bytes_sent = 0;      // Accepted by the kernel.
  uint64_t bytes_verified = 0;  // Came back and matched the pattern.
  uint64_t open = 0;            // Connections connected and not yet closed.
  uint64_t messages = 0;        // Echoes completed (counted by the modes).
};

struct RunContext {  // Owned by the Session, it outlives every connection.
  RunContext(uint64_t seed, size_t read_buffer_size)
      : pattern(seed), read_buffer(read_buffer_size) {}

  EventLoop loop;
  PatternTable pattern;
  std::optional<SocketAddress> server;  // Set before any connect.
  TrafficTotals totals;
  ErrorLog errors;
  std::vector<uint8_t> read_buffer;  // One for all: reads are verified at once.
  Nanos now = 0;  // The loop's last wakeup: stamps progress and deadlines.
};

// The largest random send or read size: more than the server reads at once
// (its shared buffer is 64 KiB), so partial reads and writes happen too.
// Sends are also bounded by PatternTable::kPeriod.
constexpr size_t kMaxRandomSize = 64 * 1024;
constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

class ClientConnection {
 public:
  enum class State { kUnused, kConnecting, kOpen, kClosed };

  enum class SendStatus {
    kReachedLimit,  // Everything up to the limit was sent.
    kBlocked,       // The socket is full: wait for EPOLLOUT.
    kFailed,        // Abandoned and logged.
  };
  enum class ReadStatus {
    kDrained,  // Nothing more to read now.
    kStopped,  // Reached stop_at; more may be waiting (the edge is spent).
    kEof,      // The server shut down its side.
    kFailed,   // A reset, a socket error, a wrong or an extra byte: abandoned
               // and logged.
  };

  // Starts connecting stream `stream_id` to run->server, watched for
  // `events` under `tag`: state() is then kConnecting, kOpen or kClosed.
  void StartConnect(RunContext* run, uint64_t stream_id, uint32_t events, uint64_t tag);
  // After an event while kConnecting: kOpen, kClosed or (spurious) still
  // kConnecting.
  void FinishConnect();

  // Sends stream bytes [bytes_sent(), limit), in random sizes from `sizes`
  // if not null. A short send() means the socket is full: kBlocked without
  // the call that would return EAGAIN.
  SendStatus SendUpTo(uint64_t limit, Random* sizes = nullptr);

  // Reads and verifies, in random sizes from `sizes` if not null, until the
  // socket is drained, EOF, a failure or bytes_verified() == `stop_at`.
  // `events` woke the caller: unless the peer may have closed (its EOF's
  // edge is then spent, so reading goes on to EAGAIN or EOF), a short recv()
  // proves the socket drained and saves the EAGAIN call.
  ReadStatus ReadAvailable(uint32_t events, uint64_t stop_at = kUnlimited,
                           Random* sizes = nullptr);

  // Watches for `events` under `tag` from now on, re-arming the edge.
  // False if that failed (abandoned and logged), as for ShutdownWrite().
  bool Rewatch(uint32_t events, uint64_t tag);
  bool ShutdownWrite();

  void CloseGracefully() { Close(/*reset=*/false); }  // A FIN after what is queued.
  void CloseWithReset() { Close(/*reset=*/true); }     // A RST; queues are dropped.

  // Logs `what` as an error of `kind`, naming the connection, and resets it.
  void Abandon(ErrorKind kind, const std::string& what);
  // Abandon() as kClosed with the socket's pending error (SO_ERROR), or
  // `otherwise` if there is none.
  void AbandonWithSocketError(const std::string& otherwise);
  // Abandons an active connection where nothing moved for `timeout` as
  // kStalled, waiting for `waiting_for` ("the echo"). Returns whether it did.
  bool AbandonIfStalled(Nanos timeout, const std::string& waiting_for);

  State state() const { return state_; }
  bool open() const { return state_ == State::kOpen; }
  bool active() const { return open() || state_ == State::kConnecting; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_verified() const { return bytes_verified_; }
  uint64_t outstanding() const { return bytes_sent_ - bytes_verified_; }
  bool write_shut() const { return write_shut_; }
  // When a byte last moved (or the connect started/finished).
  Nanos last_progress() const { return last_progress_; }

 private:
  void Close(bool reset);

  UniqueFd fd_;
  State state_ = State::kUnused;
  RunContext* run_ = nullptr;
  StreamPattern pattern_;
  uint64_t stream_id_ = 0;
  uint64_t bytes_sent_ = 0;
  uint64_t bytes_verified_ = 0;
  bool write_shut_ = false;
  Nanos last_progress_ = 0;
};

inline bool OwesEcho(const ClientConnection& connection) {
  return connection.outstanding() > 0;
}

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_CLIENT_CONNECTION_H_
