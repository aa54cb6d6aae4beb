// listener.h: opening a listening socket and accepting from it.
//
// Plain functions over descriptors, with results as values: the libev server
// decides what to do with each outcome, these only classify it.

#ifndef ECHO_LAB_POSIX_LISTENER_H_
#define ECHO_LAB_POSIX_LISTENER_H_

#include <optional>
#include <string>

#include "src/posix/socket_address.h"
#include "src/posix/unique_fd.h"

namespace echo {

struct ListenResult {
  UniqueFd fd;                         // Valid on success.
  std::optional<SocketAddress> bound;  // The actual address (port 0 resolved).
  std::string error;                   // One line, empty on success.
};

// Opens a non-blocking, close-on-exec TCP socket bound to `address` with
// SO_REUSEADDR, listening with a SOMAXCONN backlog. An IPv6 wildcard accepts
// IPv4 clients too. On failure `error` names the address, port and reason,
// e.g. "cannot listen on 127.0.0.1:80: Permission denied".
ListenResult OpenListener(const SocketAddress& address);

enum class AcceptStatus {
  kAccepted,          // `fd` is a new non-blocking, close-on-exec connection.
  kWouldBlock,        // No pending connection.
  kOutOfDescriptors,  // EMFILE/ENFILE/ENOBUFS/ENOMEM: the process is full.
  kConnectionGone,    // The client left before accept (ECONNABORTED...): retry.
  kFailed,            // Anything else; `system_code` says what.
};

struct AcceptResult {
  AcceptStatus status = AcceptStatus::kFailed;
  UniqueFd fd;
  int system_code = 0;
};

// Accepts one pending connection from `listen_fd`, repeating on EINTR.
AcceptResult AcceptConnection(int listen_fd);

}  // namespace echo

#endif  // ECHO_LAB_POSIX_LISTENER_H_
