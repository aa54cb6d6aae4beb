// broadcast_address.h: whether an address is an IPv4 broadcast address of
// this host.
//
// Linux lets a TCP socket bind to a broadcast address, and then nothing can
// ever connect to it. The limited broadcast address 255.255.255.255 is one
// everywhere; a directed broadcast address (192.0.2.255 on 192.0.2.0/24)
// is one only through an interface's configuration, so the interfaces are
// read (getifaddrs) at each call: they are what they are now.

#ifndef ECHO_LAB_POSIX_BROADCAST_ADDRESS_H_
#define ECHO_LAB_POSIX_BROADCAST_ADDRESS_H_

#include "src/posix/socket_address.h"

namespace echo {

// True for 255.255.255.255 and for the broadcast address of an interface
// of this host, written as IPv4 or IPv4-mapped IPv6. False for anything
// else, and when the interfaces cannot be read.
[[nodiscard]] bool IsBroadcastAddress(const SocketAddress& address);

}  // namespace echo

#endif  // ECHO_LAB_POSIX_BROADCAST_ADDRESS_H_
