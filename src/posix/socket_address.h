// socket_address.h: SocketAddress, a numeric IPv4 or IPv6 address and port.
//
// Only numeric literals are accepted ("127.0.0.1", "::1", "0.0.0.0", "::"):
// a server's bind address must not depend on name resolution.

#ifndef ECHO_LAB_POSIX_SOCKET_ADDRESS_H_
#define ECHO_LAB_POSIX_SOCKET_ADDRESS_H_

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace echo {

class SocketAddress {
 public:
  // Parses `host` as an IPv4 dotted quad or an IPv6 literal (without
  // brackets). Returns nullopt for anything else, host names included.
  static std::optional<SocketAddress> Parse(const std::string& host,
                                            uint16_t port);
  // Copies an address filled in by the kernel (getsockname, accept).
  // Requires an AF_INET or AF_INET6 address of `length` bytes.
  static SocketAddress FromKernel(const sockaddr_storage& storage,
                                  socklen_t length);

  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  socklen_t length() const { return length_; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;

  // "127.0.0.1:8192" or "[::1]:8192".
  std::string ToString() const;

 private:
  SocketAddress() = default;

  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace echo

#endif  // ECHO_LAB_POSIX_SOCKET_ADDRESS_H_
