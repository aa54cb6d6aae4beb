// listener.h: opening a listening socket, and the Acceptor that serves it.
//
// Results are values: the server decides what to do with each outcome, these
// only classify it (see acceptor.h).

#ifndef ECHO_LAB_POSIX_LISTENER_H_
#define ECHO_LAB_POSIX_LISTENER_H_

#include <optional>
#include <string>
#include <utility>

#include "src/posix/acceptor.h"
#include "src/posix/socket_address.h"
#include "src/posix/unique_fd.h"

namespace echo {

struct [[nodiscard]] ListenResult {
  UniqueFd fd;                         // Valid on success.
  std::optional<SocketAddress> bound;  // The actual address (port 0 resolved).
  std::string error;                   // One line, empty on success.
};

// Per-connection socket settings, set on the listener before listen() so
// that every accepted connection inherits them (and the TCP window is sized
// from the start) at no cost per connection.
struct ListenOptions {
  // SO_SNDBUF and SO_RCVBUF, bytes (the kernel doubles them for its
  // bookkeeping and stops auto-tuning them); 0 keeps the kernel's defaults.
  int socket_buffer = 0;
};

// Opens a non-blocking, close-on-exec TCP socket bound to `address` with
// SO_REUSEADDR, listening with a SOMAXCONN backlog. An IPv6 wildcard accepts
// IPv4 clients too (IPV6_V6ONLY off). On failure `error` names the address,
// port and reason, e.g. "cannot listen on 127.0.0.1:80: Permission denied";
// a socket option that cannot be set is a failure too, and its reason names
// the option: "cannot listen on [::]:80: setsockopt IPV6_V6ONLY=0: ...".
ListenResult OpenListener(const SocketAddress& address, const ListenOptions& options = {});

// The Acceptor of a real listening socket (from OpenListener()): accept4()
// with its result read by AcceptResultFromRaw(), repeated on EINTR.
class ListenerAcceptor : public Acceptor {
 public:
  explicit ListenerAcceptor(UniqueFd listener) : listener_(std::move(listener)) {}

  int ready_fd() const override { return listener_.get(); }
  AcceptResult Accept() override;
  // A read-only /dev/null.
  [[nodiscard]] UniqueFd OpenReserve() override;
  void Close() override { listener_.reset(); }

 private:
  UniqueFd listener_;
};

}  // namespace echo

#endif  // ECHO_LAB_POSIX_LISTENER_H_
