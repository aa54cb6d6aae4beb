// Tests for ParseLoadFlags: defaults, both value syntaxes, every mode name,
// units, and the exact one-line error for each bad input.

#include "tools/load/flags.h"

#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace echo {
namespace load {
namespace {

using Action = LoadFlagsResult::Action;

LoadFlagsResult Parse(std::vector<std::string> args) { return ParseLoadFlags(args); }

// Every option, for comparing whole results.
auto Fields(const LoadOptions& o) {
  return std::make_tuple(o.host, o.port, static_cast<int>(o.mode), o.connections,
                         o.message_size, o.in_flight, o.duration_ms, o.bytes_per_connection,
                         o.seed, o.timeout_ms, o.json);
}

TEST(LoadFlagsTest, RequiredFlagsAloneGiveTheDefaults) {
  const LoadFlagsResult r = Parse({"--port", "8192", "--mode", "bulk"});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  EXPECT_EQ(Fields(r.options), std::make_tuple(std::string("127.0.0.1"), uint16_t{8192},
                                               static_cast<int>(Mode::kBulk), 1u, 4096ull, 1u,
                                               int64_t{10000}, 1ull << 20, 1ull,
                                               int64_t{5000}, false));
}

TEST(LoadFlagsTest, ParsesEveryFlagInBothSyntaxes) {
  const LoadFlagsResult r =
      Parse({"--port=1", "--host", "::1", "--mode=ping-pong", "--connections", "10000",
             "--message-size=64", "--in-flight", "4", "--duration=0.25", "--bytes", "3g",
             "--seed=18446744073709551615", "--timeout", "1.5", "--json"});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  EXPECT_EQ(Fields(r.options), std::make_tuple(std::string("::1"), uint16_t{1},
                                               static_cast<int>(Mode::kPingPong), 10000u, 64ull,
                                               4u, int64_t{250}, 3ull << 30,
                                               18446744073709551615ull, int64_t{1500}, true));
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

TEST(LoadFlagsTest, TimesTakeUnitsAndPlainNumbersAreSeconds) {
  auto ms = [](const char* flag, const std::string& v) {
    const LoadFlagsResult r = Parse({"--port=9", "--mode=bulk", flag, v});
    EXPECT_EQ(r.action, Action::kRun) << v << ": " << r.error;
    return std::string(flag) == "--duration" ? r.options.duration_ms : r.options.timeout_ms;
  };
  EXPECT_EQ(ms("--duration", "10"), 10'000);
  EXPECT_EQ(ms("--duration", "10s"), 10'000);
  EXPECT_EQ(ms("--duration", "500ms"), 500);
  EXPECT_EQ(ms("--duration", "2m"), 120'000);
  EXPECT_EQ(ms("--duration", "1.5m"), 90'000);
  EXPECT_EQ(ms("--duration", "24h"), 86'400'000);
  EXPECT_EQ(ms("--duration", "0.001"), 1);
  EXPECT_EQ(ms("--duration", "1ms"), 1);
  EXPECT_EQ(ms("--timeout", "2.5s"), 2'500);
  EXPECT_EQ(ms("--timeout", "1h"), 3'600'000);
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

TEST(LoadFlagsTest, HelpAndVersionWinOverEverything) {
  EXPECT_EQ(Parse({"--help"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"-h", "--nope"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"--port=1", "--help"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"--version"}).action, Action::kVersion);
  EXPECT_EQ(Parse({"--port=0", "--version"}).action, Action::kUsageError);
  EXPECT_EQ(Parse({"--version", "--port=0"}).action, Action::kVersion);
}

TEST(LoadFlagsTest, VersionIsTheServersVersion) {
  const std::string version = LoadVersionText();
  EXPECT_EQ(version.rfind("echo_load ", 0), 0u) << version;
  EXPECT_GT(version.size(), std::string("echo_load ").size());
  EXPECT_EQ(version.find('\n'), std::string::npos);
}

TEST(LoadFlagsTest, HelpTextDescribesEveryFlagAndMode) {
  const std::string help = LoadHelpText();
  EXPECT_EQ(help.rfind(LoadUsageLine() + "\n", 0), 0u);
  for (const char* word : {"--port N", "--host ADDR", "--mode MODE", "--connections N",
                           "--message-size BYTES", "--in-flight K", "--duration TIME",
                           "--bytes BYTES", "--seed S", "--timeout TIME", "--json", "--version",
                           "bulk", "ping-pong", "integrity", "half-close", "slow-readers",
                           "churn", "idle", "MB = 10^6 bytes"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

// The error for `flag`=`value`: "--flag: 'value' is not " + `what`.
struct BadInput {
  std::vector<std::string> args;
  std::string error;
};

BadInput Bad(const std::string& flag, const std::string& value, const std::string& what,
             const std::string& shown = "") {
  return {{flag + "=" + value},
          flag + ": '" + (shown.empty() ? value : shown) + "' is not " + what};
}

const char kPort[] = "a port number (1-65535)";
const char kLoopback[] = "a numeric loopback address (127.0.0.1, ::1)";
const char kMessageSize[] = "a size (1 to 64m, e.g. 4096, 4k)";
const char kBytes[] = "a size (1 to 1024g, e.g. 1000000, 64m)";
const char kSeed[] = "a number (0 to 18446744073709551615)";
const char kDuration[] = "a duration (1ms to 24h, e.g. 10s, 500ms, 2m; a plain number is seconds)";
const char kTimeout[] = "a duration (1ms to 1h, e.g. 10s, 500ms, 2m; a plain number is seconds)";

class LoadFlagsErrorTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(LoadFlagsErrorTest, RejectsWithExactOneLineMessage) {
  const LoadFlagsResult r = Parse(GetParam().args);
  EXPECT_EQ(r.action, Action::kUsageError);
  EXPECT_EQ(r.error, GetParam().error);
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
}

// The table's own errors (unknown flags, missing values, switches given a
// value) are the server's too: tests/server_flags_test.cc covers them.
INSTANTIATE_TEST_SUITE_P(
    Usage, LoadFlagsErrorTest,
    ::testing::Values(BadInput{{}, "--port is required"},
                      BadInput{{"--mode=bulk"}, "--port is required"},
                      BadInput{{"--port=1"}, "--mode is required"},
                      BadInput{{"--port=1", "--mode=idle", "--json=yes"}, "--json takes no value"},
                      BadInput{{"--nope"}, "unknown flag '--nope'"}));

INSTANTIATE_TEST_SUITE_P(
    Values, LoadFlagsErrorTest,
    ::testing::Values(
        Bad("--port", "0", kPort), Bad("--port", "65536", kPort), Bad("--port", "-1", kPort),
        Bad("--port", " 1", kPort), Bad("--port", "08", kPort),
        Bad("--port", "1\n2", kPort, "1\\x0a2"), Bad("--host", "localhost", kLoopback),
        Bad("--host", "10.0.0.1", kLoopback), Bad("--host", "::", kLoopback),
        Bad("--mode", "flood",
            "one of bulk, ping-pong, integrity, half-close, slow-readers, churn, idle"),
        Bad("--connections", "0", "a count (1 to 100000)"),
        Bad("--connections", "100001", "a count (1 to 100000)"),
        Bad("--message-size", "0", kMessageSize), Bad("--message-size", "65m", kMessageSize),
        Bad("--message-size", "4kb", kMessageSize), Bad("--in-flight", "0", "a count (1 to 1024)"),
        Bad("--in-flight", "1025", "a count (1 to 1024)"), Bad("--bytes", "0", kBytes),
        Bad("--bytes", "1025g", kBytes), Bad("--seed", "18446744073709551616", kSeed),
        Bad("--seed", "x", kSeed)));

INSTANTIATE_TEST_SUITE_P(
    Times, LoadFlagsErrorTest,
    ::testing::Values(Bad("--duration", "0", kDuration), Bad("--duration", "0s", kDuration),
                      Bad("--duration", "1.2345", kDuration), Bad("--duration", "1.", kDuration),
                      Bad("--duration", "86401", kDuration), Bad("--duration", "25h", kDuration),
                      Bad("--duration", "1.5ms", kDuration), Bad("--duration", "10x", kDuration),
                      Bad("--duration", "s", kDuration), Bad("--duration", "ms", kDuration),
                      Bad("--duration", "-1s", kDuration), Bad("--duration", "1 s", kDuration),
                      Bad("--duration", "10S", kDuration), Bad("--timeout", "0.0001", kTimeout),
                      Bad("--timeout", "3601", kTimeout), Bad("--timeout", "61m", kTimeout)));

}  // namespace
}  // namespace load
}  // namespace echo
