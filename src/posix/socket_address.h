// socket_address.h: SocketAddress, a numeric IPv4 or IPv6 address and port.
//
// Only numeric literals are accepted ("127.0.0.1", "::1", "0.0.0.0", "::"):
// a server's bind address must not depend on name resolution. A link-local
// IPv6 address is the same on every interface, so it takes a zone that
// says which one ("fe80::1%eth0"), as getaddrinfo() and ping spell it.

#ifndef ECHO_LAB_POSIX_SOCKET_ADDRESS_H_
#define ECHO_LAB_POSIX_SOCKET_ADDRESS_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace echo {

class SocketAddress {
 public:
  // Parses `host` as an IPv4 dotted quad or an IPv6 literal (without
  // brackets). An IPv6 literal may end with "%" and a zone: the name of a
  // network interface of this host, or else its index in decimal (no
  // leading zero). Returns
  // nullopt for anything else: host names, a zone on IPv4, a zone that
  // names no interface.
  [[nodiscard]] static std::optional<SocketAddress> Parse(const std::string& host,
                                            uint16_t port);
  // Copies an address filled in by the kernel (getsockname, accept).
  // Requires an AF_INET or AF_INET6 address of `length` bytes.
  [[nodiscard]] static SocketAddress FromKernel(const sockaddr_storage& storage,
                                  socklen_t length);

  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  socklen_t length() const { return length_; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  // The interface index of an IPv6 zone; 0 for none.
  uint32_t zone() const;

  // The IPv4 address, also when written as IPv4-mapped IPv6
  // (::ffff:a.b.c.d, which reaches the same IPv4 address); nullopt for
  // any other IPv6 address.
  std::optional<in_addr> Ipv4() const;
  // A multicast group: 224.0.0.0/4 or ff00::/8.
  bool IsMulticast() const;
  // An IPv6 link-local address: fe80::/10.
  bool IsLinkLocal() const;

  // "127.0.0.1:8192", "[::1]:8192" or "[fe80::1%eth0]:8192".
  std::string ToString() const;

 private:
  SocketAddress() = default;

  const sockaddr_in6& v6() const {
    return *reinterpret_cast<const sockaddr_in6*>(&storage_);
  }

  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace echo

#endif  // ECHO_LAB_POSIX_SOCKET_ADDRESS_H_
