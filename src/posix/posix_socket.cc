#include "src/posix/posix_socket.h"

#include <sys/socket.h>

#include <cerrno>

namespace echo {

IoResult PosixSocket::Read(uint8_t* buffer, size_t capacity) {
  return RetryInterrupted(
      [&] {
        const ssize_t n = ::recv(fd_.get(), buffer, capacity, 0);
        return RawIo{n, errno};
      },
      IoDirection::kRead);
}

IoResult PosixSocket::Write(ByteView bytes) {
  return RetryInterrupted(
      [&] {
        const int flags = MSG_NOSIGNAL;
        const ssize_t n = ::send(fd_.get(), bytes.data, bytes.size, flags);
        return RawIo{n, errno};
      },
      IoDirection::kWrite);
}

IoResult PosixSocket::ShutdownWrite() {
  return RetryInterrupted(
      [&] { return RawIo{::shutdown(fd_.get(), SHUT_WR), errno}; },
      IoDirection::kWrite);
}

}  // namespace echo
