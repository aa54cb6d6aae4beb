#include "src/posix/broadcast_address.h"

#include <ifaddrs.h>
#include <net/if.h>

#include <optional>

namespace echo {

bool IsBroadcastAddress(const SocketAddress& address) {
  const std::optional<in_addr> v4 = address.Ipv4();
  if (!v4) return false;
  if (v4->s_addr == htonl(INADDR_BROADCAST)) return true;
  ifaddrs* interfaces = nullptr;
  if (getifaddrs(&interfaces) != 0) return false;
  bool found = false;
  for (const ifaddrs* i = interfaces; i != nullptr && !found; i = i->ifa_next) {
    const sockaddr* broadcast = i->ifa_broadaddr;  // Valid with IFF_BROADCAST.
    found = (i->ifa_flags & IFF_BROADCAST) && broadcast != nullptr &&
            broadcast->sa_family == AF_INET &&
            reinterpret_cast<const sockaddr_in*>(broadcast)->sin_addr.s_addr == v4->s_addr;
  }
  freeifaddrs(interfaces);
  return found;
}

}  // namespace echo
