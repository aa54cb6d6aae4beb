// loopback_client.h: the test client toolkit: connect, send, read, half-close
// and reset TCP connections with deadlines; Exchange(), which sends and
// receives at once so large transfers cannot deadlock on full buffers;
// SendUntilStalled(), which fills connections until the server stops
// reading; CountOpenFds(), to watch a process's descriptors; and
// CanBindIpv6Loopback() and LoopbackUnavailable(), to skip tests where there
// is no ::1 (or no 127.0.0.1).
//
// Every socket is non-blocking and close-on-exec, every wait is a poll()
// bounded by a Deadline, and failures come back as AssertionResults or
// result fields carrying errno, so a misbehaving server makes a test fail
// with a reason instead of hanging.

#ifndef ECHO_LAB_TESTS_INTEGRATION_LOOPBACK_CLIENT_H_
#define ECHO_LAB_TESTS_INTEGRATION_LOOPBACK_CLIENT_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "src/posix/socket_address.h"
#include "src/posix/unique_fd.h"
#include "tests/integration/deadline.h"

namespace echo {
namespace testing {

struct ConnectOptions {
  // SO_RCVBUF / SO_SNDBUF, set before connecting (so the window scale fits);
  // 0 keeps the kernel's auto-tuned default. Small buffers make the server's
  // own queue, not the kernel, absorb what a client does not read.
  int receive_buffer = 0;
  int send_buffer = 0;
  // The local address to connect from ("127.0.0.2": every 127/8 address is
  // loopback), so tests can be several hosts; empty lets the kernel choose.
  std::string source;
};

// Connects a new non-blocking socket to `address`, waiting for the handshake
// until `deadline`. On success stores the socket in `*fd`.
::testing::AssertionResult Connect(const SocketAddress& address,
                                   Deadline deadline, UniqueFd* fd,
                                   const ConnectOptions& options = {});
// Same, for a numeric `host` ("127.0.0.1", "::1") and `port`.
::testing::AssertionResult Connect(const std::string& host, uint16_t port,
                                   Deadline deadline, UniqueFd* fd,
                                   const ConnectOptions& options = {});

// Sends every byte of `bytes`, waiting for room as needed, or fails at the
// deadline or on an error (the message says how much was sent).
::testing::AssertionResult SendAll(int fd, std::string_view bytes,
                                   Deadline deadline);

struct ReadResult {
  std::string bytes;
  bool eof = false;        // The peer shut down its side (recv returned 0).
  bool timed_out = false;  // The deadline passed first.
  int error = 0;           // errno of a failed recv (e.g. ECONNRESET), or 0.
};

// Reads until `limit` bytes have arrived, EOF, an error or the deadline.
// Read a known reply of n bytes followed by EOF with limit n + 1.
ReadResult ReadUpTo(int fd, size_t limit, Deadline deadline);

// shutdown(SHUT_WR): the peer reads EOF after what was already sent.
::testing::AssertionResult ShutdownWrite(int fd);

// Aborts the connection: SO_LINGER {on, 0 s} then close(), so the peer gets
// a RST (not a FIN) and whatever either side still had queued is dropped.
::testing::AssertionResult CloseWithReset(UniqueFd fd);

struct ExchangeOptions {
  // Echo bytes still owed for data sent before this call; they are read
  // (and returned) ahead of the echo of `to_send`.
  size_t echo_owed = 0;
  // After the last byte is sent, shut down the write side and read until
  // EOF (so extra bytes from the server would show up as a size mismatch).
  // Otherwise stop once echo_owed + to_send.size() bytes have arrived.
  bool shutdown_after_send = false;
  // If not empty, `to_send` is cut at these sizes and no send() crosses a
  // cut, so the server sees writes of these sizes (or smaller, when the
  // socket is full). Beyond their sum, sends are unlimited.
  std::vector<size_t> chunk_sizes;
  // At most this many bytes per recv(); with read_pause, models a slow
  // reader.
  size_t max_read = 64 * 1024;
  // Sleep after every recv() that returned data.
  std::chrono::microseconds read_pause{0};
};

struct ExchangeResult {
  std::string received;
  size_t sent = 0;         // Bytes of `to_send` the socket took.
  bool eof = false;        // The peer's EOF was read.
  bool timed_out = false;  // The deadline passed first.
  int error = 0;           // errno of the failed call, or 0.
};

// Sends `to_send` on the non-blocking socket `fd` while reading whatever
// comes back, interleaved with poll(), so neither side blocks on a full
// buffer whatever the transfer size. Ends when done (see ExchangeOptions),
// on EOF, on an error or at the deadline.
ExchangeResult Exchange(int fd, std::string_view to_send, Deadline deadline,
                        const ExchangeOptions& options = {});

struct FillResult {
  size_t sent = 0;       // Bytes of the payload the socket took.
  bool stalled = false;  // The socket stayed full for the whole stall time.
  int error = 0;         // errno of a failed send, or 0.
};

// Sends `bytes` on every socket in `fds` at once, reading nothing, until
// each one has either sent everything or stayed unwritable for `stall`
// (its peer has stopped reading), an error occurs, or `deadline` passes.
// Returns one FillResult per socket, in order.
std::vector<FillResult> SendUntilStalled(const std::vector<int>& fds,
                                         std::string_view bytes,
                                         std::chrono::milliseconds stall,
                                         Deadline deadline);

// True if a TCP client of this machine can reach [::1] (IPv6 may be
// disabled in containers): LoopbackUnavailable(AF_INET6) is empty. Tests of
// IPv6 skip themselves otherwise.
bool CanBindIpv6Loopback();

// Why a TCP client of this machine cannot connect over the loopback address
// of `family` (AF_INET: 127.0.0.1, AF_INET6: ::1), checked with a listener
// of its own, e.g. "socket(AF_INET6): Address family not supported by
// protocol (errno 97)"; "" if it can. For skip messages.
std::string LoopbackUnavailable(int family);

// How many descriptors process `pid` has open (entries of /proc/PID/fd), or
// -1 if they cannot be listed.
int CountOpenFds(pid_t pid);

}  // namespace testing
}  // namespace echo

#endif  // ECHO_LAB_TESTS_INTEGRATION_LOOPBACK_CLIENT_H_
