#include "src/posix/socket_address.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <algorithm>
#include <cstring>

namespace echo {
namespace {

// The index of the interface `zone` names, by name or as a decimal index;
// 0 if it names none.
uint32_t InterfaceIndex(const std::string& zone) {
  if (zone.empty()) return 0;
  const uint32_t by_name = if_nametoindex(zone.c_str());
  if (by_name != 0) return by_name;
  // Decimal without a leading zero, ten digits at most: every index fits,
  // and nothing overflows.
  if (zone.size() > 10 || zone[0] == '0' ||
      zone.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  const unsigned long long index = std::stoull(zone);
  char name[IF_NAMESIZE];
  if (index == 0 || index > UINT32_MAX ||
      if_indextoname(static_cast<uint32_t>(index), name) == nullptr) {
    return 0;
  }
  return static_cast<uint32_t>(index);
}

}  // namespace

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
  const size_t percent = host.find('%');
  if (inet_pton(AF_INET6, host.substr(0, percent).c_str(), &v6->sin6_addr) == 1) {
    if (percent != std::string::npos) {
      v6->sin6_scope_id = InterfaceIndex(host.substr(percent + 1));
      if (v6->sin6_scope_id == 0) return std::nullopt;
    }
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
  if (family() == AF_INET6) return ntohs(v6().sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
}

uint32_t SocketAddress::zone() const {
  return family() == AF_INET6 ? v6().sin6_scope_id : 0;
}

std::optional<in_addr> SocketAddress::Ipv4() const {
  if (family() == AF_INET) return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr;
  if (!IN6_IS_ADDR_V4MAPPED(&v6().sin6_addr)) return std::nullopt;
  in_addr v4{};
  std::memcpy(&v4, &v6().sin6_addr.s6_addr[12], sizeof(v4));
  return v4;
}

bool SocketAddress::IsMulticast() const {
  if (const std::optional<in_addr> v4 = Ipv4()) return IN_MULTICAST(ntohl(v4->s_addr));
  return IN6_IS_ADDR_MULTICAST(&v6().sin6_addr);
}

bool SocketAddress::IsLinkLocal() const {
  return family() == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&v6().sin6_addr);
}

std::string SocketAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &v6().sin6_addr, text, sizeof(text));
    std::string host = text;
    if (zone() != 0) {
      char name[IF_NAMESIZE] = {};
      host += "%";
      host += if_indextoname(zone(), name) != nullptr ? name : std::to_string(zone());
    }
    return "[" + host + "]:" + std::to_string(port());
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr,
            text, sizeof(text));
  return std::string(text) + ":" + std::to_string(port());
}

}  // namespace echo
