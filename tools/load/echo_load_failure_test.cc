// echo_load must fail when the server does: against in-test servers that
// flip a byte or close early, a port where nothing listens, and bad flags,
// it must exit non-zero and say what went wrong. (A verifier that cannot
// fail proves nothing.)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/deadline.h"
#include "tests/integration/echo_server_binary.h"
#include "tests/integration/server_process.h"
#include "src/posix/unique_fd.h"
#include "tools/load/testing/faulty_echo_server.h"
#include "tools/load/testing/report_json.h"

namespace echo {
namespace load {
namespace {

using namespace std::chrono_literals;
using testing::Fault;
using testing::FaultyEchoServer;
using testing::Json;
using testing::Number;
using echo::testing::DeadlineIn;
using echo::testing::RunResult;
using echo::testing::RunToExit;
using echo::testing::RunfilesPath;

constexpr auto kRunTimeout = 60s;

RunResult RunEchoLoad(std::vector<std::string> args) {
  return RunToExit(RunfilesPath("tools/load/echo_load"), args, DeadlineIn(kRunTimeout));
}

// The report of a run expected to find errors: exit 1, errors > 0, all of
// them of `expected_kind` (errors_by_kind), and the first error sample,
// which must contain `expected_text`.
void ExpectErrors(const RunResult& run, const std::string& expected_kind,
                  const std::string& expected_text) {
  const std::string context =
      run.Describe() + "\nstdout: " + run.out + "\nstderr: " + run.err;
  ASSERT_TRUE(run.started()) << context;
  EXPECT_EQ(run.exit_code(), 1) << context;
  const Json report = testing::ParseReport(run.out).value("end", Json::object());
  const double errors = Number(report, "errors");
  EXPECT_GT(errors, 0) << context;
  ASSERT_TRUE(report.contains("errors_by_kind")) << context;
  for (const char* kind : {"wrong_data", "closed", "stalled", "other"}) {
    EXPECT_EQ(Number(report["errors_by_kind"], kind), kind == expected_kind ? errors : 0)
        << kind << "\n" << context;
  }
  ASSERT_TRUE(report.contains("error_samples")) << context;
  const Json& samples = report["error_samples"];
  ASSERT_FALSE(samples.empty()) << context;
  const std::string first = samples[0];
  EXPECT_NE(first.find(expected_text), std::string::npos)
      << "first error: " << first << "\n" << context;
}

std::vector<std::string> Args(uint16_t port, const std::string& mode,
                              std::vector<std::string> more) {
  std::vector<std::string> args = {"--port", std::to_string(port), "--mode", mode, "--json",
                                   "--timeout", "5"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// A faulty server, and what echo_load must report against it.
struct FaultCase {
  const char* name;
  Fault fault;
  uint64_t at;
  const char* mode;
  std::vector<std::string> args;
  const char* kind;  // Of every error.
  const char* text;  // In the first error sample.
};

class EchoLoadFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(EchoLoadFaultTest, IsCaughtAsItsKindOfError) {
  const FaultCase& c = GetParam();
  FaultyEchoServer server(c.fault, c.at);
  ASSERT_EQ(server.error(), "");
  ExpectErrors(RunEchoLoad(Args(server.port(), c.mode, c.args)), c.kind, c.text);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, EchoLoadFaultTest,
    ::testing::Values(
        FaultCase{"FlippedByteIsCaughtAtItsOffset", Fault::kFlipByte, 1000, "integrity",
                  {"--connections", "2", "--bytes", "64k"}, "wrong_data",
                  "wrong byte at stream offset 1000"},
        FaultCase{"FlippedByteFailsBulkToo", Fault::kFlipByte, 5000, "bulk",
                  {"--message-size", "1k", "--in-flight", "2", "--duration", "500ms"},
                  "wrong_data", "wrong byte at stream offset 5000"},
        FaultCase{"EarlyCloseIsAnUnexpectedEof", Fault::kCloseEarly, 3000, "half-close",
                  {"--connections", "2", "--bytes", "10000"}, "closed",
                  "3000 B echoed): unexpected EOF"},
        FaultCase{"EarlyCloseFailsPingPong", Fault::kCloseEarly, 640, "ping-pong",
                  {"--message-size", "64", "--duration", "0.5"}, "closed", "unexpected EOF"},
        // A repeated flag keeps its last value: --timeout 0.5, as the stall
        // is certain and waiting longer proves nothing more.
        FaultCase{"StalledEchoIsATimeoutNotAClose", Fault::kStall, 2000, "integrity",
                  {"--connections", "2", "--bytes", "10000", "--timeout", "0.5"}, "stalled",
                  "2000 B echoed): timed out"}),
    [](const ::testing::TestParamInfo<FaultCase>& info) { return info.param.name; });

TEST(EchoLoadFailureTest, RefusedConnectIsAnError) {
  // A socket bound but not listening: connecting to its port is refused,
  // and no other test or process can take the port while it is held.
  UniqueFd bound(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(bound.valid());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(bound.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::getsockname(bound.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  const uint16_t port = ntohs(address.sin_port);
  ExpectErrors(RunEchoLoad(Args(port, "bulk", {"--connections", "3", "--duration", "0.2"})),
               "other", "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(EchoLoadFailureTest, BadFlagIsOneLineAndUsageWithExit2) {
  const RunResult run = RunEchoLoad({"--mode", "bulk", "--port", "http"});
  EXPECT_EQ(run.exit_code(), 2) << run.Describe();
  EXPECT_EQ(run.out, "");
  const std::string first_line = run.err.substr(0, run.err.find('\n'));
  EXPECT_EQ(first_line, "echo_load: --port: 'http' is not a port number (1-65535)");
  EXPECT_EQ(run.err.find("usage: echo_load [--port N]"), first_line.size() + 1) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 2) << run.err;
}

TEST(EchoLoadFailureTest, HelpAndVersionGoToStdoutWithExit0) {
  for (const char* flag : {"--help", "--version"}) {
    const RunResult run = RunEchoLoad({flag});
    EXPECT_EQ(run.exit_code(), 0) << flag << ": " << run.Describe();
    EXPECT_EQ(run.err, "") << flag;
    if (std::string(flag) == "--help") {
      EXPECT_EQ(run.out.rfind("usage: echo_load", 0), 0u) << run.out;
    } else {
      EXPECT_EQ(run.out.rfind("echo_load ", 0), 0u) << run.out;
      EXPECT_EQ(run.out.find('\n'), run.out.size() - 1) << run.out;
    }
  }
}

}  // namespace
}  // namespace load
}  // namespace echo
