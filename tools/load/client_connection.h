// client_connection.h: ClientConnection, one non-blocking TCP connection to
// the server under test, whose outgoing stream is the pattern and whose
// incoming bytes are verified against it as they arrive, and RunContext,
// what all connections of a run share.
//
// It does the socket calls and the byte accounting; the modes decide when
// to send, read, shut down or reset. Every failure (connect error, reset,
// wrong byte, bytes never sent, ...) abandons the connection and goes to
// the run's error log at once, as a one-line description naming the
// connection: callers never log, so no failure is counted twice or lost.
//
// Edge-triggered contract (see EventLoop): ReadAvailable() reads until the
// socket is drained unless it stops at `stop_at`, and SendUpTo() writes
// until its limit or the socket is full; a caller that stops early owns the
// edge.

#ifndef ECHO_LAB_TOOLS_LOAD_CLIENT_CONNECTION_H_
#define ECHO_LAB_TOOLS_LOAD_CLIENT_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "src/posix/socket_address.h"
#include "src/posix/unique_fd.h"
#include "tools/load/error_log.h"
#include "tools/load/event_loop.h"
#include "tools/load/pattern.h"
#include "tools/load/random.h"

namespace echo {
namespace load {

// Events that mean "try recv()": data, or the peer's EOF, reset or error,
// which recv() reports.
constexpr uint32_t kReadableEvents = EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP;
// What a handler assumes when it has no event to go by: anything may have
// happened, the peer's EOF included.
constexpr uint32_t kAnyEvent = EPOLLIN | EPOLLOUT | EPOLLRDHUP;

// Whether `events` say the peer may have shut down or reset: then a read
// must go on to EOF or EAGAIN (see ClientConnection::ReadAvailable()).
inline bool PeerMayHaveClosed(uint32_t events) {
  return (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
}

// Live totals over every connection of a run, for progress and the report.
struct TrafficTotals {
  uint64_t bytes_sent = 0;      // Accepted by the kernel.
  uint64_t bytes_verified = 0;  // Came back and matched the pattern.
  uint64_t open = 0;            // Connections connected and not yet closed.
  uint64_t messages = 0;        // Echoes completed (counted by the modes).
};

// Owned by the run (Session), it outlives every connection.
struct RunContext {
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

// How ClientConnection::ReadAvailable() reads.
struct ReadOptions {
  // Random recv() sizes, from 1 to `max_read`, if not null.
  Random* sizes = nullptr;
  size_t max_read = std::numeric_limits<size_t>::max();
  // Stop once bytes_verified() reaches this.
  uint64_t stop_at = std::numeric_limits<uint64_t>::max();
};

class ClientConnection {
 public:
  enum class State { kUnused, kConnecting, kOpen, kClosed };

  enum class SendStatus {
    kReachedLimit,  // Everything up to the limit was sent.
    kBlocked,       // The socket is full (EAGAIN, or a partial send): wait
                    // for EPOLLOUT.
    kFailed,        // Abandoned and logged.
  };

  enum class ReadStatus {
    kDrained,  // EAGAIN (or a short read): nothing more to read now.
    kStopped,  // Reached stop_at; more may be waiting (the edge is spent).
    kEof,      // The server shut down its side (recv returned 0).
    kFailed,   // A reset, a socket error, a wrong or an extra byte: abandoned
               // and logged.
  };

  ClientConnection() = default;
  ClientConnection(ClientConnection&&) = default;
  ClientConnection& operator=(ClientConnection&&) = default;

  // Opens a non-blocking socket for stream `stream_id` and starts
  // connecting to run->server; the socket is watched by run->loop for
  // `events` under `tag`. Returns true if the connect is under way (or
  // done: then state() is kOpen at once), false if it failed (logged,
  // state() kClosed).
  bool StartConnect(RunContext* run, uint64_t stream_id, uint32_t events, uint64_t tag);

  // After an event while kConnecting: false if the connect failed (logged,
  // socket closed); true otherwise, and state() says whether it is kOpen
  // now or (after a spurious wakeup) still kConnecting.
  bool FinishConnect();

  // Sends stream bytes [bytes_sent(), limit), at most `max_send` per call
  // (random sizes from `sizes` up to `max_send` if not null). A send() that
  // takes less than offered means the socket is full: that is kBlocked
  // without the call that would return EAGAIN (EPOLLOUT fires once room
  // frees up).
  SendStatus SendUpTo(uint64_t limit, size_t max_send = PatternTable::kPeriod,
                      Random* sizes = nullptr);

  // Reads and verifies each byte against what this connection sent, until
  // the socket is drained, EOF, a failure, or `stop_at`. `events` are those
  // that woke the caller: without EPOLLRDHUP, EPOLLHUP or EPOLLERR a recv()
  // shorter than asked proves the socket drained, and the call that would
  // return EAGAIN is saved (data arriving later fires a new edge); when the
  // peer may have closed, its EOF's edge is already spent, so reading goes
  // on until EAGAIN or EOF.
  ReadStatus ReadAvailable(uint32_t events, const ReadOptions& options = {});

  // Watches the socket for `events` under `tag` from now on, re-arming the
  // edge. False if that failed (abandoned and logged).
  bool Rewatch(uint32_t events, uint64_t tag);

  // shutdown(SHUT_WR): the server reads EOF after the bytes already sent.
  // False if it failed (abandoned and logged).
  bool ShutdownWrite();

  // close(): a FIN after anything still queued.
  void CloseGracefully();
  // SO_LINGER {1, 0} then close(): the server gets a RST, queues are dropped.
  void CloseWithReset();

  // Logs `what` as an error of `kind`, naming the connection, and resets
  // it: once anything is wrong with a connection, it is abandoned.
  void Abandon(ErrorKind kind, const std::string& what);
  // Abandon() as kClosed with the socket's pending error (SO_ERROR), e.g. on
  // EPOLLERR, or `otherwise` if there is none.
  void AbandonWithSocketError(const std::string& otherwise);
  // Abandons the connection as kStalled if it is connecting or open and
  // nothing moved for `timeout`; `waiting_for` says what it was waiting
  // for, e.g. "the echo". Returns whether it did.
  bool AbandonIfStalled(Nanos timeout, const std::string& waiting_for);

  State state() const { return state_; }
  bool open() const { return state_ == State::kOpen; }
  // Connecting or open: not yet done, one way or the other.
  bool active() const { return open() || state_ == State::kConnecting; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_verified() const { return bytes_verified_; }
  uint64_t outstanding() const { return bytes_sent_ - bytes_verified_; }
  bool write_shut() const { return write_shut_; }
  // When a byte last moved (or the connect started/finished).
  Nanos last_progress() const { return last_progress_; }

 private:
  void Close(bool reset);
  // Counts `n` verified bytes.
  void Verified(size_t n);

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

// Whether `connection` has bytes on the way back.
inline bool OwesEcho(const ClientConnection& connection) {
  return connection.outstanding() > 0;
}

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_CLIENT_CONNECTION_H_
