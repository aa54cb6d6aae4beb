// Tests of SocketAddress (numeric literals, IPv6 zones, the address classes
// a server cannot listen on) and of IsBroadcastAddress(). Zones use "lo",
// which every Linux host has, with index 1.

#include "src/posix/socket_address.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "src/posix/broadcast_address.h"

namespace echo {
namespace {

SocketAddress Parsed(const std::string& host) {
  const std::optional<SocketAddress> address = SocketAddress::Parse(host, 80);
  EXPECT_TRUE(address.has_value()) << host;
  return address.value_or(*SocketAddress::Parse("0.0.0.0", 0));
}

TEST(SocketAddressTest, ZoneNamesAnInterfaceByNameOrIndex) {
  const uint32_t lo = if_nametoindex("lo");
  ASSERT_NE(lo, 0u);
  EXPECT_EQ(Parsed("fe80::1%lo").zone(), lo);
  EXPECT_EQ(Parsed("fe80::1%" + std::to_string(lo)).zone(), lo);
  EXPECT_EQ(Parsed("fe80::1%lo").ToString(), "[fe80::1%lo]:80");
  EXPECT_EQ(Parsed("fe80::1").zone(), 0u);
  EXPECT_EQ(Parsed("::1").ToString(), "[::1]:80");
}

TEST(SocketAddressTest, RefusesZonesThatNameNoInterfaceAndZonesOnIpv4) {
  for (const char* host : {"fe80::1%", "fe80::1%nosuch0", "fe80::1%0", "fe80::1%01",
                           "fe80::1%99999999999", "fe80::1%lo%lo", "127.0.0.1%lo",
                           "[fe80::1%lo]"}) {
    EXPECT_FALSE(SocketAddress::Parse(host, 80).has_value()) << host;
  }
}

TEST(SocketAddressTest, ClassifiesMulticastLinkLocalAndMappedIpv4) {
  EXPECT_TRUE(Parsed("224.0.0.1").IsMulticast());
  EXPECT_TRUE(Parsed("239.255.255.255").IsMulticast());
  EXPECT_FALSE(Parsed("223.255.255.255").IsMulticast());
  EXPECT_FALSE(Parsed("240.0.0.1").IsMulticast());
  EXPECT_TRUE(Parsed("ff02::1").IsMulticast());
  EXPECT_TRUE(Parsed("::ffff:224.0.0.1").IsMulticast());
  EXPECT_FALSE(Parsed("::1").IsMulticast());
  EXPECT_TRUE(Parsed("fe80::1").IsLinkLocal());
  EXPECT_TRUE(Parsed("febf::1").IsLinkLocal());
  EXPECT_FALSE(Parsed("fec0::1").IsLinkLocal());
  EXPECT_FALSE(Parsed("127.0.0.1").IsLinkLocal());
  ASSERT_TRUE(Parsed("::ffff:10.1.2.3").Ipv4().has_value());
  EXPECT_EQ(ntohl(Parsed("::ffff:10.1.2.3").Ipv4()->s_addr), 0x0a010203u);
  EXPECT_FALSE(Parsed("::1").Ipv4().has_value());
}

TEST(BroadcastAddressTest, LimitedBroadcastAndEveryInterfacesBroadcast) {
  EXPECT_TRUE(IsBroadcastAddress(Parsed("255.255.255.255")));
  EXPECT_TRUE(IsBroadcastAddress(Parsed("::ffff:255.255.255.255")));
  EXPECT_FALSE(IsBroadcastAddress(Parsed("127.0.0.1")));
  EXPECT_FALSE(IsBroadcastAddress(Parsed("::")));
  ifaddrs* interfaces = nullptr;
  ASSERT_EQ(getifaddrs(&interfaces), 0);
  for (const ifaddrs* i = interfaces; i != nullptr; i = i->ifa_next) {
    if (!(i->ifa_flags & IFF_BROADCAST) || i->ifa_broadaddr == nullptr ||
        i->ifa_broadaddr->sa_family != AF_INET) {
      continue;
    }
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(i->ifa_broadaddr)->sin_addr,
              text, sizeof(text));
    EXPECT_TRUE(IsBroadcastAddress(Parsed(text))) << i->ifa_name << " " << text;
  }
  freeifaddrs(interfaces);
}

}  // namespace
}  // namespace echo
