#include "src/posix/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace echo {

std::optional<SocketAddress> SocketAddress::Parse(const std::string& host,
                                                  uint16_t port) {
  SocketAddress address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage_);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    address.length_ = sizeof(sockaddr_in);
    return address;
  }
  address.storage_ = {};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage_);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    address.length_ = sizeof(sockaddr_in6);
    return address;
  }
  return std::nullopt;
}

SocketAddress SocketAddress::FromKernel(const sockaddr_storage& storage,
                                        socklen_t length) {
  SocketAddress address;
  std::memcpy(&address.storage_, &storage,
              std::min<size_t>(length, sizeof(storage)));
  address.length_ = length;
  return address;
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
}

std::string SocketAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6,
              &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr,
              text, sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(port());
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr,
            text, sizeof(text));
  return std::string(text) + ":" + std::to_string(port());
}

}  // namespace echo
