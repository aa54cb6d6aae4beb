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
        BadInput{{"--bind=[::1]"},
                 "--bind: '[::1]' is not a numeric IPv4 or IPv6 address "
                 "(e.g. 127.0.0.1, ::1)"}));

TEST(ServerFlagsTest, HelpTextStartsWithUsage) {
  EXPECT_EQ(ServerHelpText().rfind(ServerUsageLine(), 0), 0u);
}

}  // namespace
}  // namespace echo
