// connection_driver.h: ConnectionDriver, which moves bytes between one Socket
// and one EchoConnection when the socket is ready.
//
// This is the whole I/O policy of a connection, shared by the libev server
// and by the fake-socket tests and fuzzers: the event loop only says
// "readable" or "writable" and arms its watcher for the Interest returned.
//
//   - On readable: read while the connection has room (stopping early after a
//     short read, which means the kernel buffer is drained). When nothing is
//     queued, the bytes just read are written straight back from the read
//     buffer and only what the socket refuses is queued: the common echo
//     costs no copy into the queue and no allocation.
//   - On writable: write until the queue is empty or the socket is full.
//   - When the connection closes: shut down the sending side first if it
//     finished cleanly, then close the socket. After that no operation
//     reaches the socket again, whatever the caller does.
//   - A drained connection may still have unread input, and closing a socket
//     with unread input sends a reset that can destroy the echo still in
//     flight. So after its FIN it lingers: it reads and discards until the
//     peer's EOF, an error, or kLingerTimeout without input (what nginx's
//     lingering_timeout does), then closes.
//   - Time is the caller's: each call takes `now`, and OnTimer() closes an
//     idle or stalled connection (see EchoConnection::TimerDeadline()).

#ifndef ECHO_LAB_CORE_CONNECTION_DRIVER_H_
#define ECHO_LAB_CORE_CONNECTION_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "src/core/echo_connection.h"
#include "src/core/monotonic_time.h"
#include "src/core/socket.h"
#include "src/core/write_queue.h"

namespace echo {

// A buffer lent to OnReadable() for the duration of the call. The server
// lends one buffer to all its connections, so an idle connection owns none.
struct ReadBuffer {
  uint8_t* data = nullptr;
  size_t size = 0;
};

class ConnectionDriver {
 public:
  // How long a lingering connection waits for more input before closing.
  static constexpr Duration kLingerTimeout = std::chrono::seconds(1);

  // Takes ownership of `socket` (non-null); the connection starts at `now`.
  ConnectionDriver(std::unique_ptr<Socket> socket,
                   EchoConnection::Options options, Instant now);
  // Closes the socket if it is still open.
  ~ConnectionDriver();

  ConnectionDriver(const ConnectionDriver&) = delete;
  ConnectionDriver& operator=(const ConnectionDriver&) = delete;

  // The socket is readable (or has hung up). `scratch` must be non-empty.
  // Returns what the connection wants next; none() means the socket has been
  // closed and the driver can be destroyed.
  Interest OnReadable(ReadBuffer scratch, Instant now);

  // The socket is writable. Same return contract as OnReadable().
  Interest OnWritable(Instant now);

  // The owner's timer fired. Closes the connection if it has been idle for
  // its timeout, or ends a linger that is over; otherwise the caller re-arms
  // for Deadline(). Same return contract as OnReadable().
  Interest OnTimer(Instant now);

  // When OnTimer() should next be called: the idle or send deadline, or the
  // end of a linger; nullopt for never.
  std::optional<Instant> Deadline() const;

  // The owner is stopping: reads stop, and the connection closes cleanly
  // once its queue is written (at once if empty), lingering as described
  // above. Same return contract as OnReadable().
  Interest Drain(Instant now);

  // Closes the connection now, dropping anything queued.
  void Abort();

  // What the driver wants now: what the last call returned.
  Interest interest() const;
  // True after a drained connection's FIN, until the peer's EOF.
  bool lingering() const { return lingering_; }
  const EchoConnection& connection() const { return connection_; }

 private:
  void ReadAvailable(ReadBuffer scratch, Instant now);
  void WriteQueued(Instant now);
  void DiscardUntilEof(ReadBuffer scratch, Instant now);
  void CloseSocket();
  size_t WriteFrom(ByteView bytes);
  Interest ReleaseIfClosed(Instant now);

  std::unique_ptr<Socket> socket_;
  EchoConnection connection_;
  bool finished_ = false;
  bool lingering_ = false;
  Instant linger_deadline_;  // Meaningful while lingering_.
  // Set within one event once a write is refused (short, EAGAIN or error).
  bool socket_full_ = false;
};

}  // namespace echo

#endif  // ECHO_LAB_CORE_CONNECTION_DRIVER_H_
