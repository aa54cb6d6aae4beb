// Tests for ParseServerFlags: defaults, both value syntaxes, and the exact
// one-line error for each bad input.

#include "src/server/server_flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace echo {
namespace {

using Action = FlagParseResult::Action;

FlagParseResult Parse(std::vector<std::string> args) {
  return ParseServerFlags(args);
}

TEST(ServerFlagsTest, DefaultsServeLoopbackOn8192) {
  const FlagParseResult r = Parse({});
  EXPECT_EQ(r.action, Action::kRun);
  EXPECT_EQ(r.options.bind, "127.0.0.1");
  EXPECT_EQ(r.options.port, 8192);
}

TEST(ServerFlagsTest, RobustnessDefaults) {
  const ServerOptions o = Parse({}).options;
  EXPECT_EQ(o.queue_limit, 64u * 1024);
  EXPECT_EQ(o.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(o.send_timeout, std::chrono::seconds(60));
  EXPECT_EQ(o.max_connections, 10000u);
  EXPECT_EQ(o.drain_timeout, std::chrono::seconds(5));
  EXPECT_EQ(o.log_level, LogLevel::kInfo);
}

TEST(ServerFlagsTest, ParsesSizesSecondsCountsAndLevels) {
  const FlagParseResult r =
      Parse({"--queue-limit=16k", "--idle-timeout", "0.25", "--max-connections=3",
             "--drain-timeout=0", "--log-level", "debug"});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  EXPECT_EQ(r.options.queue_limit, 16384u);
  EXPECT_EQ(r.options.idle_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(r.options.max_connections, 3u);
  EXPECT_EQ(r.options.drain_timeout, Duration::zero());
  EXPECT_EQ(r.options.log_level, LogLevel::kDebug);
  EXPECT_EQ(Parse({"--queue-limit", "2M"}).options.queue_limit, 2u << 20);
  EXPECT_EQ(Parse({"--queue-limit", "16384"}).options.queue_limit, 16384u);
  EXPECT_EQ(Parse({"--idle-timeout", "0"}).options.idle_timeout, std::nullopt) << "0 is never";
  EXPECT_EQ(Parse({"--send-timeout", "0"}).options.send_timeout, std::nullopt) << "0 is never";
  EXPECT_EQ(Parse({"--idle-timeout", "1.5"}).options.idle_timeout, std::chrono::milliseconds(1500));
}

TEST(ServerFlagsTest, AcceptsBothValueSyntaxes) {
  const FlagParseResult r = Parse({"--port=0", "--bind", "::"});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  EXPECT_EQ(r.options.port, 0);
  EXPECT_EQ(r.options.bind, "::");
}

TEST(ServerFlagsTest, LastRepeatedFlagWins) {
  const FlagParseResult r = Parse({"--port", "1", "--port", "65535"});
  EXPECT_EQ(r.options.port, 65535);
}

TEST(ServerFlagsTest, HelpAndVersionWin) {
  EXPECT_EQ(Parse({"--help", "--nope"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"-h"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"--version"}).action, Action::kVersion);
}

struct BadInput {
  std::vector<std::string> args;
  std::string error;
};

class ServerFlagsErrorTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(ServerFlagsErrorTest, RejectsWithOneLineMessage) {
  const FlagParseResult r = Parse(GetParam().args);
  EXPECT_EQ(r.action, Action::kUsageError);
  EXPECT_EQ(r.error, GetParam().error);
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, ServerFlagsErrorTest,
    ::testing::Values(
        BadInput{{"--nope"}, "unknown flag '--nope'"},
        BadInput{{"--nope=3"}, "unknown flag '--nope'"},
        BadInput{{"--help=1"}, "--help takes no value"},
        BadInput{{"-h="}, "-h takes no value"},
        BadInput{{"--version=yes"}, "--version takes no value"},
        BadInput{{"foo"}, "unexpected argument 'foo'"},
        BadInput{{"--port"}, "--port needs a value"},
        BadInput{{"--port="}, "--port: '' is not a port number (0-65535)"},
        BadInput{{"--port", "65536"}, "--port: '65536' is not a port number (0-65535)"},
        BadInput{{"--port", "-1"}, "--port: '-1' is not a port number (0-65535)"},
        BadInput{{"--port", "+80"}, "--port: '+80' is not a port number (0-65535)"},
        BadInput{{"--port", "8o"}, "--port: '8o' is not a port number (0-65535)"},
        BadInput{{"--port", "000080"}, "--port: '000080' is not a port number (0-65535)"},
        BadInput{{"--bind", "example.com"},
                 "--bind: 'example.com' is not a numeric IPv4 or IPv6 address "
                 "(e.g. 127.0.0.1, ::1)"},
        BadInput{{"line\nbreak"}, "unexpected argument 'line\\x0abreak'"},
        BadInput{{"--port", "\x1b[31m\xff"},
                 "--port: '\\x1b[31m\\xff' is not a port number (0-65535)"},
        BadInput{{"--" + std::string(100, 'x')},
                 "unknown flag '--" + std::string(62, 'x') + "...'"},
        BadInput{{"--queue-limit", "16383"},
                 "--queue-limit: '16383' is not a size (16k to 1024m, e.g. 65536, 64k)"},
        BadInput{{"--queue-limit", "0"},
                 "--queue-limit: '0' is not a size (16k to 1024m, e.g. 65536, 64k)"},
        BadInput{{"--queue-limit", "2g"},
                 "--queue-limit: '2g' is not a size (16k to 1024m, e.g. 65536, 64k)"},
        BadInput{{"--queue-limit", "1025m"},
                 "--queue-limit: '1025m' is not a size (16k to 1024m, e.g. 65536, 64k)"},
        BadInput{{"--idle-timeout", "-1"},
                 "--idle-timeout: '-1' is not a number of seconds (0 to 604800, at most 3 decimals)"},
        BadInput{{"--idle-timeout", "1.2345"},
                 "--idle-timeout: '1.2345' is not a number of seconds (0 to 604800, at most 3 decimals)"},
        BadInput{{"--idle-timeout", "1."},
                 "--idle-timeout: '1.' is not a number of seconds (0 to 604800, at most 3 decimals)"},
        BadInput{{"--drain-timeout", "3601"},
                 "--drain-timeout: '3601' is not a number of seconds (0 to 3600, at most 3 decimals)"},
        BadInput{{"--max-connections", "0"},
                 "--max-connections: '0' is not a count (1 to 1000000)"},
        BadInput{{"--log-level", "loud"},
                 "--log-level: 'loud' is not one of error, warn, info, debug"},
        BadInput{{"--bind=[::1]"},
                 "--bind: '[::1]' is not a numeric IPv4 or IPv6 address "
                 "(e.g. 127.0.0.1, ::1)"},
        BadInput{{"--bind", "224.0.0.1"},
                 "--bind: '224.0.0.1' is a multicast address, which no TCP client can reach"},
        BadInput{{"--bind", "::ffff:239.1.2.3"},
                 "--bind: '::ffff:239.1.2.3' is a multicast address, which no TCP client "
                 "can reach"},
        BadInput{{"--bind", "ff02::1"},
                 "--bind: 'ff02::1' is a multicast address, which no TCP client can reach"},
        BadInput{{"--bind", "255.255.255.255"},
                 "--bind: '255.255.255.255' is a broadcast address, which no TCP client "
                 "can reach"},
        BadInput{{"--bind", "fe80::1"},
                 "--bind: 'fe80::1' is link-local: add its interface, as in fe80::1%eth0"},
        BadInput{{"--bind", "fe80::1%nosuch0"},
                 "--bind: 'fe80::1%nosuch0': this host has no network interface 'nosuch0'"},
        BadInput{{"--bind", "fe80::1%01"},
                 "--bind: 'fe80::1%01': this host has no network interface '01'"},
        BadInput{{"--bind", "::1%lo"},
                 "--bind: '::1%lo': only a link-local address (fe80::/10) takes a %zone"},
        BadInput{{"--bind", "127.0.0.1%lo"},
                 "--bind: '127.0.0.1%lo' is not a numeric IPv4 or IPv6 address "
                 "(e.g. 127.0.0.1, ::1)"}));

// Linux always has "lo", index 1.
TEST(ServerFlagsTest, AcceptsALinkLocalAddressWithItsZone) {
  for (const char* zoned : {"fe80::1%lo", "fe80::1%1"}) {
    const FlagParseResult r = Parse({"--bind", zoned});
    EXPECT_EQ(r.action, Action::kRun) << zoned << ": " << r.error;
    EXPECT_EQ(r.options.bind, zoned);
  }
}

TEST(ServerFlagsTest, HelpTextStartsWithUsage) {
  EXPECT_EQ(ServerHelpText().rfind(ServerUsageLine(), 0), 0u);
}

}  // namespace
}  // namespace echo
