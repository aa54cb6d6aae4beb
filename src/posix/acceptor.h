// acceptor.h: Acceptor, the seam through which the server gets new clients,
// and AcceptResult, the outcome of one accept.
//
// The server's accept policy (the connection limit, refusals, the reserve
// descriptor, backing off when descriptors run out) is written against this
// interface only. ListenerAcceptor (listener.h) implements it with a real
// listening socket and accept4(); FakeListener (src/testing/) hands out
// socketpair() ends and scripted failures, so fuzzers drive the same policy
// without a network. Both map raw outcomes through AcceptResultFromRaw() and
// retry EINTR with RetryAccept(), so errno handling is shared code too.

#ifndef ECHO_LAB_POSIX_ACCEPTOR_H_
#define ECHO_LAB_POSIX_ACCEPTOR_H_

#include <sys/socket.h>

#include <functional>
#include <string>

#include "src/core/io_result.h"
#include "src/posix/unique_fd.h"

namespace echo {

enum class AcceptStatus {
  kAccepted,          // `fd` is a new non-blocking, close-on-exec connection.
  kWouldBlock,        // No pending connection.
  kOutOfDescriptors,  // EMFILE/ENFILE/ENOBUFS/ENOMEM: the process is full.
  kConnectionGone,    // The client left before accept (ECONNABORTED...): retry.
  kFailed,            // Anything else; `system_code` says what.
};

struct [[nodiscard]] AcceptResult {
  AcceptStatus status = AcceptStatus::kFailed;
  UniqueFd fd;
  int system_code = 0;  // errno, unless status == kAccepted.
  // With kAccepted: which clients count as one source for a per-address
  // limit (see PeerGroupOf); empty when unknown.
  std::string peer_group;
};

class Acceptor {
 public:
  virtual ~Acceptor() = default;

  // A descriptor that polls readable while a client is pending: what the
  // server's watcher waits on. Valid until Close(); stop watching first.
  virtual int ready_fd() const = 0;

  // Accepts one pending client. Never reports EINTR (it is retried).
  virtual AcceptResult Accept() = 0;

  // Opens a descriptor that costs nothing but a slot in the descriptor
  // table, held so that one slot can be freed when the table is full;
  // invalid if none could be opened.
  [[nodiscard]] virtual UniqueFd OpenReserve() = 0;

  // Stops listening: clients still pending are dropped by the kernel, and
  // Accept() reports kWouldBlock from now on. Idempotent.
  virtual void Close() = 0;
};

// Maps what accept4() returned (a descriptor, or -1 and errno) to an
// AcceptResult, taking ownership of the descriptor. Not for EINTR.
AcceptResult AcceptResultFromRaw(RawIo raw);

// The source a peer address belongs to for per-address limits: the IPv4
// address (an IPv4-mapped IPv6 address counts as IPv4), or the /64 prefix
// of an IPv6 address, since one host commonly holds a whole /64. A short
// binary string, used as a key only; empty for other families.
[[nodiscard]] std::string PeerGroupOf(const sockaddr_storage& address, socklen_t length);

// Calls `call()` (an accept returning RawIo) until it is not interrupted by a
// signal, then maps the outcome, as RetryInterrupted() does for reads and
// writes.
AcceptResult RetryAccept(const std::function<RawIo()>& call);

}  // namespace echo

#endif  // ECHO_LAB_POSIX_ACCEPTOR_H_
