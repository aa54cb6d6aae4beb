// Tests for ParseLoadFlags: defaults, both value syntaxes, every mode name,
// units, and the exact one-line error for each bad input.

#include "tools/load/flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace echo {
namespace load {
namespace {

using Action = LoadFlagsResult::Action;

LoadFlagsResult Parse(std::vector<std::string> args) { return ParseLoadFlags(args); }

TEST(LoadFlagsTest, RequiredFlagsAloneGiveTheDefaults) {
  const LoadFlagsResult r = Parse({"--port", "8192", "--mode", "bulk"});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  const LoadOptions& o = r.options;
  EXPECT_EQ(o.port, 8192);
  EXPECT_EQ(o.mode, Mode::kBulk);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.connections, 1u);
  EXPECT_EQ(o.message_size, 4096u);
  EXPECT_EQ(o.in_flight, 1u);
  EXPECT_EQ(o.duration_ms, 10000);
  EXPECT_EQ(o.bytes_per_connection, 1u << 20);
  EXPECT_EQ(o.seed, 1u);
  EXPECT_EQ(o.timeout_ms, 5000);
  EXPECT_FALSE(o.json);
}

TEST(LoadFlagsTest, ParsesEveryFlagInBothSyntaxes) {
  const LoadFlagsResult r =
      Parse({"--port=1", "--host", "::1", "--mode=ping-pong", "--connections", "10000",
             "--message-size=64", "--in-flight", "4", "--duration=0.25", "--bytes", "3g",
             "--seed=18446744073709551615", "--timeout", "1.5", "--json"});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  const LoadOptions& o = r.options;
  EXPECT_EQ(o.port, 1);
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.mode, Mode::kPingPong);
  EXPECT_EQ(o.connections, 10000u);
  EXPECT_EQ(o.message_size, 64u);
  EXPECT_EQ(o.in_flight, 4u);
  EXPECT_EQ(o.duration_ms, 250);
  EXPECT_EQ(o.bytes_per_connection, 3ull << 30);
  EXPECT_EQ(o.seed, 18446744073709551615ull);
  EXPECT_EQ(o.timeout_ms, 1500);
  EXPECT_TRUE(o.json);
}

TEST(LoadFlagsTest, EveryModeNameRoundTrips) {
  for (const char* name :
       {"bulk", "ping-pong", "integrity", "half-close", "slow-readers", "churn", "idle"}) {
    const LoadFlagsResult r = Parse({"--port", "9", "--mode", name});
    ASSERT_EQ(r.action, Action::kRun) << name << ": " << r.error;
    EXPECT_STREQ(ModeName(r.options.mode), name);
  }
}

TEST(LoadFlagsTest, SizeSuffixesAreBinary) {
  auto message_size = [](const std::string& v) {
    return Parse({"--port=9", "--mode=bulk", "--message-size", v}).options.message_size;
  };
  EXPECT_EQ(message_size("4k"), 4096u);
  EXPECT_EQ(message_size("4K"), 4096u);
  EXPECT_EQ(message_size("2m"), 2u << 20);
  EXPECT_EQ(message_size("64m"), 64u << 20);
  EXPECT_EQ(message_size("1"), 1u);
}

TEST(LoadFlagsTest, LoopbackAddressesOnly) {
  EXPECT_EQ(Parse({"--port=9", "--mode=idle", "--host=127.1.2.3"}).options.host, "127.1.2.3");
  EXPECT_EQ(Parse({"--port=9", "--mode=idle", "--host=::1"}).options.host, "::1");
}

TEST(LoadFlagsTest, LastRepeatedFlagWins) {
  const LoadFlagsResult r = Parse({"--port=1", "--port=2", "--mode=bulk", "--mode=idle"});
  EXPECT_EQ(r.options.port, 2);
  EXPECT_EQ(r.options.mode, Mode::kIdle);
}

TEST(LoadFlagsTest, HelpWinsOverEverything) {
  EXPECT_EQ(Parse({"--help"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"-h", "--nope"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"--port=1", "--help"}).action, Action::kHelp);
}

TEST(LoadFlagsTest, HelpTextDescribesEveryFlagAndMode) {
  const std::string help = LoadHelpText();
  EXPECT_EQ(help.rfind(LoadUsageLine() + "\n", 0), 0u);
  for (const char* word : {"--port N", "--host ADDR", "--mode MODE", "--connections N",
                           "--message-size BYTES", "--in-flight K", "--duration SECONDS",
                           "--bytes BYTES", "--seed S", "--timeout SECONDS", "--json",
                           "bulk", "ping-pong", "integrity", "half-close", "slow-readers",
                           "churn", "idle", "MB = 10^6 bytes"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

struct BadInput {
  std::vector<std::string> args;
  std::string error;
};

class LoadFlagsErrorTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(LoadFlagsErrorTest, RejectsWithExactOneLineMessage) {
  const LoadFlagsResult r = Parse(GetParam().args);
  EXPECT_EQ(r.action, Action::kUsageError);
  EXPECT_EQ(r.error, GetParam().error);
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, LoadFlagsErrorTest,
    ::testing::Values(
        BadInput{{}, "--port is required"},
        BadInput{{"--mode=bulk"}, "--port is required"},
        BadInput{{"--port=1"}, "--mode is required"},
        BadInput{{"--port"}, "--port needs a value"},
        BadInput{{"--nope"}, "unknown flag '--nope'"},
        BadInput{{"--nope=1"}, "unknown flag '--nope'"},
        BadInput{{"--help=1"}, "--help takes no value"},
        BadInput{{"bulk"}, "unexpected argument 'bulk'"},
        BadInput{{"--port=0"}, "--port: '0' is not a port number (1-65535)"},
        BadInput{{"--port=65536"}, "--port: '65536' is not a port number (1-65535)"},
        BadInput{{"--port=-1"}, "--port: '-1' is not a port number (1-65535)"},
        BadInput{{"--port= 1"}, "--port: ' 1' is not a port number (1-65535)"},
        BadInput{{"--port=08"}, "--port: '08' is not a port number (1-65535)"},
        BadInput{{"--port=1\n2"}, "--port: '1\\x0a2' is not a port number (1-65535)"},
        BadInput{{"--host=localhost"},
                 "--host: 'localhost' is not a numeric loopback address (127.0.0.1, ::1)"},
        BadInput{{"--host=10.0.0.1"},
                 "--host: '10.0.0.1' is not a numeric loopback address (127.0.0.1, ::1)"},
        BadInput{{"--host=::"},
                 "--host: '::' is not a numeric loopback address (127.0.0.1, ::1)"},
        BadInput{{"--mode=flood"},
                 "--mode: 'flood' is not one of bulk, ping-pong, integrity, half-close, "
                 "slow-readers, churn, idle"},
        BadInput{{"--connections=0"}, "--connections: '0' is not a count (1 to 100000)"},
        BadInput{{"--connections=100001"},
                 "--connections: '100001' is not a count (1 to 100000)"},
        BadInput{{"--message-size=0"},
                 "--message-size: '0' is not a size (1 to 64m, e.g. 4096, 4k)"},
        BadInput{{"--message-size=65m"},
                 "--message-size: '65m' is not a size (1 to 64m, e.g. 4096, 4k)"},
        BadInput{{"--message-size=4kb"},
                 "--message-size: '4kb' is not a size (1 to 64m, e.g. 4096, 4k)"},
        BadInput{{"--in-flight=0"}, "--in-flight: '0' is not a count (1 to 1024)"},
        BadInput{{"--in-flight=1025"}, "--in-flight: '1025' is not a count (1 to 1024)"},
        BadInput{{"--duration=0"},
                 "--duration: '0' is not a number of seconds (0.001 to 86400, at most 3 "
                 "decimals)"},
        BadInput{{"--duration=1.2345"},
                 "--duration: '1.2345' is not a number of seconds (0.001 to 86400, at most 3 "
                 "decimals)"},
        BadInput{{"--duration=1."},
                 "--duration: '1.' is not a number of seconds (0.001 to 86400, at most 3 "
                 "decimals)"},
        BadInput{{"--duration=86401"},
                 "--duration: '86401' is not a number of seconds (0.001 to 86400, at most 3 "
                 "decimals)"},
        BadInput{{"--bytes=0"},
                 "--bytes: '0' is not a size (1 to 1024g, e.g. 1000000, 64m)"},
        BadInput{{"--bytes=1025g"},
                 "--bytes: '1025g' is not a size (1 to 1024g, e.g. 1000000, 64m)"},
        BadInput{{"--seed=18446744073709551616"},
                 "--seed: '18446744073709551616' is not a number (0 to "
                 "18446744073709551615)"},
        BadInput{{"--seed=x"}, "--seed: 'x' is not a number (0 to 18446744073709551615)"},
        BadInput{{"--timeout=0.0001"},
                 "--timeout: '0.0001' is not a number of seconds (0.001 to 3600, at most 3 "
                 "decimals)"},
        BadInput{{"--timeout=3601"},
                 "--timeout: '3601' is not a number of seconds (0.001 to 3600, at most 3 "
                 "decimals)"},
        BadInput{{"--json=yes"}, "--json takes no value"}));

}  // namespace
}  // namespace load
}  // namespace echo
