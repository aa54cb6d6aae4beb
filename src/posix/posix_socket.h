// posix_socket.h: PosixSocket, the Socket interface over a connected,
// non-blocking stream socket descriptor.
//
// recv/send/shutdown go through RetryInterrupted (EINTR is repeated, EAGAIN
// becomes kWouldBlock), and send uses MSG_NOSIGNAL so that writing to a
// vanished peer is an EPIPE result, never a SIGPIPE.

#ifndef ECHO_LAB_POSIX_POSIX_SOCKET_H_
#define ECHO_LAB_POSIX_POSIX_SOCKET_H_

#include "src/core/socket.h"
#include "src/posix/unique_fd.h"

namespace echo {

class PosixSocket final : public Socket {
 public:
  // Takes ownership of `fd`, which must already be non-blocking.
  explicit PosixSocket(UniqueFd fd) : fd_(std::move(fd)) {}

  IoResult Read(uint8_t* buffer, size_t capacity) override;
  IoResult Write(ByteView bytes) override;
  IoResult ShutdownWrite() override;
  void Close() override { fd_.reset(); }

 private:
  UniqueFd fd_;
};

}  // namespace echo

#endif  // ECHO_LAB_POSIX_POSIX_SOCKET_H_
