#include "src/posix/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace echo {
namespace {

ListenResult Failure(const SocketAddress& address, int saved_errno) {
  ListenResult result;
  result.error = "cannot listen on " + address.ToString() + ": " +
                 std::strerror(saved_errno);
  return result;
}

}  // namespace

ListenResult OpenListener(const SocketAddress& address) {
  UniqueFd fd(::socket(address.family(),
                       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Failure(address, errno);

  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    return Failure(address, errno);
  }
  if (address.family() == AF_INET6) {
    // Dual stack on "::" whatever the system default says.
    const int off = 0;
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  }
  if (::bind(fd.get(), address.get(), address.length()) != 0 ||
      ::listen(fd.get(), SOMAXCONN) != 0) {
    return Failure(address, errno);
  }

  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return Failure(address, errno);
  }
  ListenResult result;
  result.fd = std::move(fd);
  result.bound = SocketAddress::FromKernel(bound, length);
  return result;
}

AcceptResult AcceptConnection(int listen_fd) {
  return RetryAccept([listen_fd] {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return RawIo{fd, errno};
  });
}

AcceptResult ListenerAcceptor::Accept() {
  if (!listener_.valid()) {
    AcceptResult result;
    result.status = AcceptStatus::kWouldBlock;
    return result;
  }
  return AcceptConnection(listener_.get());
}

UniqueFd ListenerAcceptor::OpenReserve() {
  return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

}  // namespace echo
