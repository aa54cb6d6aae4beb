// echo_connection.h: EchoConnection, the I/O-free state machine of one echo
// connection.
//
// It never touches a socket, a clock or an event loop. Whoever owns it feeds
// it what happened (bytes arrived, the peer shut down its side, an operation
// failed, the socket took some bytes) and asks it what it wants next:
//
//   size_t n = conn.OnData(bytes, now);      // accepts up to ReadRoom()
//   ByteView out = conn.PendingOutput();     // write these, then
//   conn.OnWritten(k, now);                  // report how many were taken
//   Interest next = conn.interest();         // {read, write}; none = close
//   conn.OnTimer(now);                       // at or after TimerDeadline()
//
// Rules it guarantees (the fuzz harnesses check each one):
//   - output is exactly the input, in order: nothing lost, nothing repeated;
//   - after peer EOF it accepts no input, and finishes once everything queued
//     has been written (close_reason() == kPeerFinished: shut down, close);
//   - Drain() (the server is stopping) does the same without waiting for the
//     peer: no more input, finish once the queue is written (kDrained);
//   - any read or write error closes it at once, dropping what was queued;
//   - it accepts no input while its queue is over the high watermark, and
//     takes input again once the queue has drained to the low watermark, so
//     the queue never holds more than the high watermark;
//   - with an idle timeout, it closes once no byte has moved in either
//     direction for that long; a peer that never reads stalls every transfer,
//     so the same rule closes it;
//   - with a send timeout, it closes once output has been queued and no byte
//     of it written for that long (nginx's send_timeout): a peer that keeps
//     sending a trickle but never reads cannot hold it open by sending;
//   - once closed it wants nothing, accepts nothing and offers nothing.

#ifndef ECHO_LAB_CORE_ECHO_CONNECTION_H_
#define ECHO_LAB_CORE_ECHO_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "src/core/bytes.h"
#include "src/core/io_result.h"
#include "src/core/monotonic_time.h"
#include "src/core/write_queue.h"

namespace echo {

// What a connection wants from its socket next. Both false means it is
// closed and its socket should be released. [[nodiscard]]: an owner that
// drops it leaves its watcher armed for the wrong events, or a closed
// connection in place.
struct [[nodiscard]] Interest {
  bool read = false;
  bool write = false;

  bool none() const { return !read && !write; }
  bool operator==(const Interest& other) const {
    return read == other.read && write == other.write;
  }
};

enum class CloseReason : uint8_t {
  kNone,          // Still open.
  kPeerFinished,  // Peer EOF and every byte echoed: shut down, then close.
  kPeerReset,     // A read or write reported ECONNRESET.
  kReadFailed,    // A read failed otherwise.
  kWriteFailed,   // A write failed otherwise (EPIPE included).
  kAborted,       // The owner called Abort().
  kIdleTimeout,   // No byte moved for the idle timeout.
  kSendTimeout,   // Output queued, none of it written for the send timeout.
  kDrained,       // Drain() asked, and every queued byte was written.
};

// True for the reasons that end a connection cleanly: everything owed was
// written, and the owner shuts down its sending side before closing.
inline bool IsGracefulClose(CloseReason reason) {
  return reason == CloseReason::kPeerFinished || reason == CloseReason::kDrained;
}

const char* CloseReasonName(CloseReason reason);

class EchoConnection {
 public:
  struct Options {
    WriteQueue::Watermarks watermarks;  // Bounds the queued output.
    // Positive, or nullopt for never; a zero or negative one means never too.
    std::optional<Duration> idle_timeout;
    std::optional<Duration> send_timeout;
  };

  // A new connection, open for reading, last active at `now`. The `now`
  // passed to a connection never decreases.
  EchoConnection(Options options, Instant now);

  EchoConnection(const EchoConnection&) = delete;
  EchoConnection& operator=(const EchoConnection&) = delete;

  // How many bytes OnData() accepts now: 0 once the peer has closed, while
  // backpressure holds, or after close.
  size_t ReadRoom() const;

  // The peer sent `bytes`. Queues and returns min(bytes.size, ReadRoom());
  // the caller keeps any rest (a caller that reads at most ReadRoom() bytes
  // never has one).
  [[nodiscard]] size_t OnData(ByteView bytes, Instant now);

  // The peer sent `bytes`, and because nothing was queued the owner already
  // wrote the first `echoed` of them straight back (saving a copy and an
  // allocation per echo). Counts them and queues the rest. Requires
  // queued() == 0, `bytes.size <= ReadRoom()` and `echoed <= bytes.size`.
  // If the echo's own write failed and closed the connection, the bytes are
  // still counted as received (they were read), and nothing is queued.
  void OnDataEchoedDirectly(ByteView bytes, size_t echoed, Instant now);

  // The peer shut down its sending side. Idempotent. Finishes the connection
  // at once if nothing is queued.
  void OnPeerEof();

  // A read or a write failed with `error`: closes at once, drops the queue.
  void OnReadError(IoError error);
  void OnWriteError(IoError error);

  // The owner is stopping: from now on no input is accepted, and the
  // connection finishes (kDrained) as soon as its queue is written; at once
  // if it is empty. Idempotent.
  void Drain();

  // The owner gives up on the connection (shutdown, timeout): closes at once.
  void Abort();

  // The oldest queued bytes, contiguous; empty when nothing is queued or the
  // connection is closed. Valid until the next non-const call.
  ByteView PendingOutput() const { return queue_.Front(); }

  // The socket took the first `count` queued bytes. Requires
  // `count <= queued()`.
  void OnWritten(size_t count, Instant now);

  // When OnTimer() closes the connection if nothing moves: the earlier of
  //   - the idle deadline: the last activity plus the idle timeout;
  //   - the send deadline, while output is queued: the last write (or the
  //     moment output was queued into an empty queue) plus the send timeout.
  // Never (nullopt) without a deadline of either kind, or once closed.
  std::optional<Instant> TimerDeadline() const;

  // The owner's timer fired: closes with kSendTimeout or kIdleTimeout if
  // `now` has reached that deadline, otherwise does nothing (the owner
  // re-arms its timer for TimerDeadline(); libev's manual recommends exactly
  // this lazy scheme).
  void OnTimer(Instant now);

  Interest interest() const;
  bool closed() const { return reason_ != CloseReason::kNone; }
  CloseReason close_reason() const { return reason_; }

  size_t queued() const { return queue_.size(); }
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  void Close(CloseReason reason);
  void FinishIfFlushed();
  std::optional<Instant> IdleDeadline() const;
  std::optional<Instant> SendDeadline() const;

  WriteQueue queue_;
  std::optional<Duration> idle_timeout_;  // Positive when set.
  std::optional<Duration> send_timeout_;  // Positive when set.
  Instant last_activity_;
  Instant last_write_;  // Or when output was queued into an empty queue.
  CloseReason reason_ = CloseReason::kNone;
  bool peer_eof_ = false;
  bool draining_ = false;
  uint64_t bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
};

}  // namespace echo

#endif  // ECHO_LAB_CORE_ECHO_CONNECTION_H_
