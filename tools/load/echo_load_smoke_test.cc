// Smoke test of echo_load against the real echo_server binary: each mode
// runs for about a second with small sizes and must finish with exit 0 and
// a JSON report saying 0 errors, plus what that mode must have shown (the
// echo of every byte, EOF after a half-close, backpressure on slow readers,
// resets in churn, every idle connection alive).
//
// Loopback only, port 0 only: the server picks its port and prints it.

#include <chrono>
#include <cmath>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/deadline.h"
#include "tests/integration/echo_server_binary.h"
#include "tests/integration/server_process.h"
#include "tools/load/testing/report_json.h"

namespace echo {
namespace load {
namespace {

using namespace std::chrono_literals;
using testing::Json;
using testing::Number;
using testing::Text;
using echo::testing::ChildProcess;
using echo::testing::DeadlineIn;
using echo::testing::RunResult;
using echo::testing::RunToExit;
using echo::testing::RunfilesPath;
using echo::testing::StartEchoServer;

// Generous bounds that only a broken program reaches (sanitizer builds
// start and run several times slower).
constexpr auto kStartTimeout = 20s;
constexpr auto kRunTimeout = 60s;

class EchoLoadSmokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(StartEchoServer({}, "127.0.0.1",
                                               DeadlineIn(kStartTimeout),
                                               &server_, &port_));
  }

  // Runs echo_load --json against the server with `args`; expects exit 0,
  // a well-formed report of `mode` with 0 errors, and returns it.
  Json RunClean(const std::string& mode, std::vector<std::string> args) {
    args.insert(args.end(), {"--port", std::to_string(port_), "--mode", mode,
                             "--json", "--timeout", "10"});
    const RunResult run = RunToExit(RunfilesPath("tools/load/echo_load"),
                                             args, DeadlineIn(kRunTimeout));
    const std::string context = "echo_load " + mode + ": " + run.Describe() + "\nstdout: " +
                                run.out + "\nstderr: " + run.err +
                                "\nserver stderr: " + server_->StderrSoFar();
    EXPECT_TRUE(run.started()) << context;
    EXPECT_EQ(run.exit_code(), 0) << context;
    const Json end = ExpectReportOfThisRun(run.out);
    EXPECT_EQ(Text(end, "mode"), mode);
    EXPECT_EQ(Number(end, "errors"), 0) << context;
    EXPECT_FALSE(server_->HasExited()) << context;
    return end;
  }

  // Checks the report's frame (version, target, start_time, a timeline that
  // adds up to the totals) and returns its `end`.
  Json ExpectReportOfThisRun(const std::string& out) {
    const Json report = testing::ParseReport(out);
    EXPECT_EQ(Text(report, "version").rfind("echo_load ", 0), 0u) << out;
    EXPECT_EQ(report.value("target", Json()),
              Json({{"host", "127.0.0.1"}, {"port", port_}}));
    EXPECT_TRUE(std::regex_match(Text(report, "start_time"),
                                 std::regex(R"(20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
        << out;
    const Json end = report.value("end", Json::object());
    const Json intervals = report.value("intervals", Json::array());
    EXPECT_FALSE(intervals.empty()) << out;
    for (const char* total : {"bytes_sent", "bytes_verified", "errors"}) {
      double sum = 0;
      for (const Json& interval : intervals) sum += Number(interval, total);
      EXPECT_EQ(sum, Number(end, total)) << total << " over the intervals of " << out;
    }
    return end;
  }

  // Runs a ten-minute echo_load `mode` with `args` and sends it `signal`
  // ("INT", "TERM") 2 s after it starts, long after its handlers are set
  // (first thing in main()). coreutils' timeout sends it, and kills
  // echo_load 30 s later if it is still running, so none outlives the test.
  RunResult RunInterrupted(const std::string& signal, const std::string& mode,
                           std::vector<std::string> args) {
    std::vector<std::string> command = {
        "--preserve-status", "--kill-after=30", "--signal=" + signal, "2",
        RunfilesPath("tools/load/echo_load"), "--port", std::to_string(port_),
        "--mode", mode, "--duration", "10m"};
    command.insert(command.end(), args.begin(), args.end());
    return RunToExit("/usr/bin/timeout", command, DeadlineIn(kRunTimeout));
  }

  std::unique_ptr<ChildProcess> server_;
  uint16_t port_ = 0;
};

TEST_F(EchoLoadSmokeTest, BulkEchoesEveryMessage) {
  const Json r = RunClean("bulk", {"--connections", "4", "--message-size", "1k",
                                   "--in-flight", "4", "--duration", "1"});
  EXPECT_GT(Number(r, "messages"), 0);
  EXPECT_GT(Number(r, "mb_per_s"), 0);
  EXPECT_GT(Number(r, "msgs_per_s"), 0);
  // The wind-down waits for every echo, so nothing sent is left unverified.
  EXPECT_EQ(Number(r, "bytes_verified"), Number(r, "bytes_sent"));
  EXPECT_GE(Number(r, "seconds"), 1.0);
}

TEST_F(EchoLoadSmokeTest, PingPongReportsOrderedLatencies) {
  const Json r =
      RunClean("ping-pong", {"--connections", "2", "--message-size", "64", "--duration", "1"});
  ASSERT_TRUE(r.contains("latency_us"));
  const Json& latency = r["latency_us"];
  // One sample per echo: those of the measured phase, plus at most one per
  // connection that completes during the wind-down.
  EXPECT_GE(Number(latency, "samples"), Number(r, "messages"));
  EXPECT_LE(Number(latency, "samples"), Number(r, "messages") + 2);
  EXPECT_GT(Number(r, "messages"), 0);
  EXPECT_GT(Number(latency, "p50"), 0);
  EXPECT_LE(Number(latency, "p50"), Number(latency, "p90"));
  EXPECT_LE(Number(latency, "p90"), Number(latency, "p99"));
  EXPECT_LE(Number(latency, "p99"), Number(latency, "max"));
  EXPECT_EQ(Number(r, "bytes_verified"), Number(r, "bytes_sent"));
}

TEST_F(EchoLoadSmokeTest, IntegrityGetsEveryByteBack) {
  const Json r = RunClean("integrity", {"--connections", "4", "--bytes", "2m"});
  EXPECT_EQ(Number(r, "bytes_sent"), 4.0 * (2 << 20));
  EXPECT_EQ(Number(r, "bytes_verified"), 4.0 * (2 << 20));
}

TEST_F(EchoLoadSmokeTest, HalfCloseGetsEveryByteThenEof) {
  const Json r = RunClean("half-close", {"--connections", "4", "--bytes", "1m"});
  EXPECT_EQ(Number(r, "bytes_verified"), 4.0 * (1 << 20));
  EXPECT_EQ(Number(r, "eof_after_full_echo"), 4);
}

TEST_F(EchoLoadSmokeTest, SlowReadersAreHeldBackThenReadBackCompletely) {
  // 64 MiB is far more than the server's queue (64 KiB) and the kernel's
  // socket buffers hold, so a bounded server must stall every connection.
  const Json r = RunClean("slow-readers", {"--connections", "3", "--bytes", "64m",
                                                "--duration", "1"});
  EXPECT_EQ(Number(r, "stalled"), 3);
  ASSERT_TRUE(r.contains("accepted_per_connection"));
  const Json& accepted = r["accepted_per_connection"];
  EXPECT_GT(Number(accepted, "min"), 0);
  EXPECT_LT(Number(accepted, "max"), 64.0 * (1 << 20));
  // Once the clients read, the server drains: every accepted byte returns.
  EXPECT_EQ(Number(r, "fully_read_back"), 3);
  EXPECT_EQ(Number(r, "bytes_verified"), Number(r, "bytes_sent"));
}

TEST_F(EchoLoadSmokeTest, ChurnResetsHalfAndVerifiesHalf) {
  const Json r = RunClean("churn", {"--connections", "8", "--message-size", "512",
                                         "--duration", "1"});
  const double opened = Number(r, "opened");
  const double resets = Number(r, "closed_by_rst");
  const double verified = Number(r, "verified_connections");
  EXPECT_GT(resets, 0);
  EXPECT_GT(verified, 0);
  // Every connection opened was either reset or verified (no errors).
  EXPECT_EQ(opened, resets + verified);
  // Alternating streams: the halves differ by at most one per slot.
  EXPECT_LE(std::abs(resets - verified), 8);
  EXPECT_FALSE(server_->HasExited());
}

TEST_F(EchoLoadSmokeTest, IdleConnectionsStayOpenAndAlive) {
  const Json r = RunClean("idle", {"--connections", "200", "--message-size", "16",
                                        "--duration", "1"});
  EXPECT_EQ(Number(r, "open_at_end"), 200);
  EXPECT_EQ(Number(r, "alive"), 200);
  EXPECT_GE(Number(r, "fd_limit"), 200);
}

TEST_F(EchoLoadSmokeTest, HumanSummaryIsOneLineOnStdout) {
  const RunResult run = RunToExit(
      RunfilesPath("tools/load/echo_load"),
      {"--port", std::to_string(port_), "--mode", "bulk", "--connections", "2",
       "--message-size", "512", "--in-flight", "2", "--duration", "0.5"},
      DeadlineIn(kRunTimeout));
  EXPECT_EQ(run.exit_code(), 0) << run.Describe() << " " << run.err;
  const std::string prefix = "echo_load bulk: 2 conns, 512 B x 2 in flight, 0.";
  EXPECT_EQ(run.out.rfind(prefix, 0), 0u) << run.out;
  EXPECT_NE(run.out.find(" MB/s, "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(" msgs/s, 0 errors\n"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find('\n'), run.out.size() - 1) << run.out;
  // Not a terminal: no progress line.
  EXPECT_EQ(run.err, "");
}

TEST_F(EchoLoadSmokeTest, SigintEndsTheRunEarlyAndItStillReports) {
  const RunResult run = RunInterrupted("INT", "bulk", {"--connections", "2", "--json"});
  ASSERT_EQ(run.exit_code(), 0) << run.Describe() << "\nstdout: " << run.out << "\nstderr: " << run.err;
  const Json end = ExpectReportOfThisRun(run.out);
  EXPECT_EQ(end.value("interrupted", false), true) << run.out;
  EXPECT_EQ(Number(end, "errors"), 0);
  EXPECT_GT(Number(end, "messages"), 0);
  EXPECT_LT(Number(end, "seconds"), 60);
  // Stopping early still winds down: every echo came back.
  EXPECT_EQ(Number(end, "bytes_verified"), Number(end, "bytes_sent"));
}

TEST_F(EchoLoadSmokeTest, SigtermEndsATransferEarlyWithItsSummaryLine) {
  // 1 TiB per connection: far more than two seconds can move.
  const RunResult run = RunInterrupted("TERM", "integrity", {"--bytes", "1024g"});
  EXPECT_EQ(run.exit_code(), 0) << run.Describe() << "\nstderr: " << run.err;
  EXPECT_EQ(run.out.rfind("echo_load integrity: 1 conns, ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find(" B verified ("), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(", 0 errors (interrupted)\n"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace load
}  // namespace echo
