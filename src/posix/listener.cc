#include "src/posix/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace echo {
namespace {

ListenResult Failure(const SocketAddress& address, const std::string& reason) {
  ListenResult result;
  result.error = "cannot listen on " + address.ToString() + ": " + reason;
  return result;
}

ListenResult Failure(const SocketAddress& address, int saved_errno) {
  return Failure(address, std::strerror(saved_errno));
}

// Sets an int socket option. Returns "" on success, else a reason that
// names the option: unlike bind's "Address already in use", a bare
// "Protocol not available" would not say which call failed or what the
// server could not arrange.
std::string SetOption(int fd, int level, int option, const char* option_name, int value) {
  if (::setsockopt(fd, level, option, &value, sizeof(value)) == 0) return "";
  const int saved_errno = errno;
  return std::string("setsockopt ") + option_name + "=" + std::to_string(value) + ": " +
         std::strerror(saved_errno);
}

// The options every listener gets before bind(). Returns "" or the reason
// one of them failed.
std::string SetListenerOptions(int fd, int family, const ListenOptions& options) {
  std::string failed = SetOption(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1);
  if (failed.empty() && family == AF_INET6) {
    // Dual stack on "::" whatever the system default (bindv6only) says; a
    // listener that silently stayed IPv6-only would break that promise.
    failed = SetOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 0);
  }
  if (failed.empty() && options.socket_buffer > 0) {
    failed = SetOption(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", options.socket_buffer);
    if (failed.empty()) {
      failed = SetOption(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", options.socket_buffer);
    }
  }
  return failed;
}

// Accepts one pending connection from `listen_fd`, repeating on EINTR.
AcceptResult AcceptConnection(int listen_fd) {
  sockaddr_storage peer{};
  socklen_t length = 0;
  AcceptResult result = RetryAccept([&] {
    length = sizeof(peer);
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    return RawIo{fd, errno};
  });
  if (result.status == AcceptStatus::kAccepted) result.peer_group = PeerGroupOf(peer, length);
  return result;
}

}  // namespace

ListenResult OpenListener(const SocketAddress& address, const ListenOptions& options) {
  UniqueFd fd(::socket(address.family(),
                       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Failure(address, errno);

  const std::string failed = SetListenerOptions(fd.get(), address.family(), options);
  if (!failed.empty()) return Failure(address, failed);
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
