// client_connection.h: ClientConnection, one non-blocking TCP connection to
// the server under test, whose outgoing stream is the pattern and whose
// incoming bytes are verified against it as they arrive.
//
// It does the socket calls and the byte accounting; the modes decide when
// to send, read, shut down or reset. Every failure (connect error, reset,
// wrong byte, bytes never sent, ...) comes back as a one-line description
// naming the connection, for the error log.
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
#include <string>

#include "src/posix/socket_address.h"
#include "src/posix/unique_fd.h"
#include "tools/load/error_kind.h"
#include "tools/load/event_loop.h"
#include "tools/load/pattern.h"
#include "tools/load/random.h"

namespace echo {
namespace load {

// Live totals over every connection of a run, for progress and the report.
struct TrafficTotals {
  uint64_t bytes_sent = 0;      // Accepted by the kernel.
  uint64_t bytes_verified = 0;  // Came back and matched the pattern.
  uint64_t open = 0;            // Connections connected and not yet closed.
  uint64_t messages = 0;        // Echoes completed (counted by the modes).
};

class ClientConnection {
 public:
  enum class State { kUnused, kConnecting, kOpen, kClosed };

  enum class SendStatus {
    kReachedLimit,  // Everything up to the limit was sent.
    kBlocked,       // The socket is full (EAGAIN, or a partial send): wait
                    // for EPOLLOUT.
    kFailed,        // See error().
  };

  enum class ReadStatus {
    kDrained,  // EAGAIN (or a short read): nothing more to read now.
    kStopped,  // Reached stop_at; more may be waiting (the edge is spent).
    kEof,      // The server shut down its side (recv returned 0).
    kFailed,   // A reset, a socket error, a wrong or an extra byte.
  };

  ClientConnection() = default;
  ClientConnection(ClientConnection&&) = default;
  ClientConnection& operator=(ClientConnection&&) = default;

  // Opens a non-blocking socket for stream `stream_id` and starts
  // connecting to `server` (which must outlive the connection); the socket
  // is watched by `loop` for `events` under `tag`. Returns true if the
  // connect is under way (or done: then state() is kOpen at once), false
  // with error() set and state() kClosed if it failed.
  bool StartConnect(EventLoop* loop, const SocketAddress& server,
                           const PatternTable* pattern, uint64_t stream_id,
                           uint32_t events, uint64_t tag, TrafficTotals* totals,
                           Nanos now);

  // After an event while kConnecting: false with error() set and the
  // socket closed if the connect failed; true otherwise, and state() says
  // whether it is kOpen now or (after a spurious wakeup) still kConnecting.
  bool FinishConnect(Nanos now);

  // Sends stream bytes [bytes_sent(), limit), at most `max_send` per call
  // (random sizes from `send_sizes` up to `max_send` if not null). A send()
  // that takes less than offered means the socket is full: that is
  // kBlocked without the call that would return EAGAIN (EPOLLOUT fires
  // once room frees up).
  SendStatus SendUpTo(uint64_t limit, size_t max_send, Random* send_sizes, Nanos now);

  struct ReadOptions {
    // Random recv() sizes, from 1 to the buffer size, if not null.
    Random* sizes = nullptr;
    // Stop once bytes_verified() reaches this.
    uint64_t stop_at = std::numeric_limits<uint64_t>::max();
    // False when the event carried no EPOLLRDHUP, EPOLLHUP or EPOLLERR:
    // then a recv() shorter than asked proves the socket drained, and the
    // call that would return EAGAIN is saved (data arriving later fires a
    // new edge). When the peer may have closed, its EOF's edge is already
    // spent, so reading goes on until EAGAIN or EOF.
    bool peer_may_have_closed = true;
  };

  // Reads into `buffer` and verifies each byte against what this connection
  // sent, until the socket is drained, EOF, a failure, or `stop_at`.
  ReadStatus ReadAvailable(uint8_t* buffer, size_t buffer_size, Nanos now,
                           const ReadOptions& options);

  // shutdown(SHUT_WR): the server reads EOF after the bytes already sent.
  // False with error() set if it failed.
  bool ShutdownWrite();

  // close(): a FIN after anything still queued.
  void CloseGracefully();
  // SO_LINGER {1, 0} then close(): the server gets a RST, queues are dropped.
  void CloseWithReset();

  // Records `what` (described with Describe()) as error(), of `kind`, and
  // resets the connection: once anything is wrong with it, it is abandoned.
  void Abandon(ErrorKind kind, const std::string& what);
  // Abandon() as kClosed with the socket's pending error (SO_ERROR), e.g. on
  // EPOLLERR, or `otherwise` if there is none.
  void AbandonWithSocketError(const std::string& otherwise);

  // "connection 7 (sent 4096 B, 2048 B echoed): " + what.
  std::string Describe(const std::string& what) const;

  State state() const { return state_; }
  bool open() const { return state_ == State::kOpen; }
  int fd() const { return fd_.get(); }
  uint64_t stream_id() const { return stream_id_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_verified() const { return bytes_verified_; }
  uint64_t outstanding() const { return bytes_sent_ - bytes_verified_; }
  bool write_shut() const { return write_shut_; }
  // When a byte last moved (or the connect started/finished).
  Nanos last_progress() const { return last_progress_; }
  // Why the connection failed; empty while it has not.
  const std::string& error() const { return error_; }
  // What error() says about the server; meaningful once error() is set.
  ErrorKind error_kind() const { return error_kind_; }

 private:
  void Close(bool reset);

  UniqueFd fd_;
  State state_ = State::kUnused;
  StreamPattern pattern_;
  uint64_t stream_id_ = 0;
  uint64_t bytes_sent_ = 0;
  uint64_t bytes_verified_ = 0;
  bool write_shut_ = false;
  Nanos last_progress_ = 0;
  TrafficTotals* totals_ = nullptr;
  const SocketAddress* server_ = nullptr;
  std::string error_;
  ErrorKind error_kind_ = ErrorKind::kOther;
};

}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_CLIENT_CONNECTION_H_
