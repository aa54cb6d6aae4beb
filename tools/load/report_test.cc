// Tests for the report: the summary line of each mode, and JSON that a
// strict parser (nlohmann/json) accepts, with every field the mode should have and none it
// should not, even for hostile error text and degenerate numbers.

#include "tools/load/report.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "tools/load/testing/report_json.h"

namespace echo {
namespace load {
namespace {

using testing::Json;
using testing::Number;
using testing::ParseReport;

LoadReport BulkReport() {
  LoadReport r;
  r.mode = Mode::kBulk;
  r.connections = 16;
  r.message_size = 4096;
  r.in_flight = 4;
  r.bytes_per_connection = 1 << 20;
  r.seed = 1;
  r.seconds = 10.0;
  r.bytes_sent = 12'345'000'000;
  r.bytes_verified = 12'345'000'000;
  r.messages = 3'012'340;
  r.mb_per_s = 1234.5;
  r.msgs_per_s = 301234;
  return r;
}

TEST(ReportTest, BulkSummaryLine) {
  EXPECT_EQ(FormatSummaryLine(BulkReport()),
            "echo_load bulk: 16 conns, 4096 B x 4 in flight, 10.0 s: 1234.5 MB/s, "
            "301234 msgs/s, 0 errors");
}

TEST(ReportTest, PingPongSummaryLineHasLatency) {
  LoadReport r = BulkReport();
  r.mode = Mode::kPingPong;
  r.connections = 1;
  r.message_size = 64;
  r.msgs_per_s = 25000;
  r.latency = LatencySummary{250000, true, 38.31, 41.0, 60.5, 812.0};
  r.errors = 1;
  EXPECT_EQ(FormatSummaryLine(r),
            "echo_load ping-pong: 1 conns, 64 B, 10.0 s: 25000 msgs/s, latency us p50 38.3, "
            "p90 41.0, p99 60.5, max 812.0, 1 error");
}

TEST(ReportTest, ShortRunsShowMilliseconds) {
  LoadReport r;
  r.mode = Mode::kHalfClose;
  r.connections = 2;
  r.bytes_per_connection = 1000;
  r.seconds = 0.0421;
  r.bytes_verified = 2000;
  r.half_close = HalfCloseResult{2};
  EXPECT_EQ(FormatSummaryLine(r),
            "echo_load half-close: 2 conns, 1000 B each, 0.042 s: 2000 B verified, "
            "2/2 EOF after full echo, 0 errors");
}

TEST(ReportTest, ChurnSlowReadersAndIdleSummaries) {
  LoadReport churn;
  churn.mode = Mode::kChurn;
  churn.connections = 8;
  churn.message_size = 64;
  churn.seconds = 2;
  churn.churn = ChurnResult{100, 50, 49};
  churn.errors = 1;
  EXPECT_EQ(FormatSummaryLine(churn),
            "echo_load churn: up to 8 conns, 64 B, 2.0 s: 100 opened (50.0/s), 50 closed by "
            "RST, 49 verified, 1 error");

  LoadReport slow;
  slow.mode = Mode::kSlowReaders;
  slow.connections = 3;
  slow.bytes_per_connection = 1000000;
  slow.seconds = 1;
  slow.bytes_verified = 900;
  slow.slow_readers = SlowReaderResult{100, 300, 500, 2, 3};
  EXPECT_EQ(FormatSummaryLine(slow),
            "echo_load slow-readers: 3 conns, up to 1000000 B each, 1.0 s: accepted per conn "
            "min 100 B, median 300 B, max 500 B, 2 stalled; 900 B read back and verified "
            "(3 complete), 0 errors");

  LoadReport idle;
  idle.mode = Mode::kIdle;
  idle.connections = 10000;
  idle.message_size = 16;
  idle.seconds = 5;
  idle.idle = IdleResult{10000, 9999, 20000};
  EXPECT_EQ(FormatSummaryLine(idle),
            "echo_load idle: 10000 conns, 16 B, 5.0 s: 10000 open at end, 9999 alive (echo "
            "verified), 0 errors");
}

TEST(ReportTest, BulkJsonIsWellFormedWithEveryMetric) {
  LoadReport r = BulkReport();
  r.errors = 2;
  r.errors_by_kind[ErrorKind::kWrongData] = 1;
  r.errors_by_kind[ErrorKind::kStalled] = 1;
  r.error_samples = {"connection 3 (sent 10 B, 2 B echoed): wrong byte", "second"};
  const std::string json = FormatJson(r);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  const Json v = ParseReport(json);
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(testing::Text(v, "mode"), "bulk");
  EXPECT_EQ(Number(v, "connections"), 16);
  EXPECT_EQ(Number(v, "message_size"), 4096);
  EXPECT_EQ(Number(v, "in_flight"), 4);
  EXPECT_EQ(Number(v, "seconds"), 10);
  EXPECT_EQ(Number(v, "bytes_sent"), 12'345'000'000.0);
  EXPECT_EQ(Number(v, "bytes_verified"), 12'345'000'000.0);
  EXPECT_EQ(Number(v, "messages"), 3'012'340);
  EXPECT_EQ(Number(v, "mb_per_s"), 1234.5);
  EXPECT_EQ(Number(v, "msgs_per_s"), 301234);
  EXPECT_EQ(Number(v, "errors"), 2);
  const Json& samples = v.at("error_samples");
  ASSERT_TRUE(samples.is_array());
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0], r.error_samples[0]);
  const Json& kinds = v.at("errors_by_kind");
  ASSERT_TRUE(kinds.is_object());
  EXPECT_EQ(Number(kinds, "wrong_data"), 1);
  EXPECT_EQ(Number(kinds, "closed"), 0);
  EXPECT_EQ(Number(kinds, "stalled"), 1);
  EXPECT_EQ(Number(kinds, "other"), 0);
  // Fields of other modes stay out.
  for (const char* absent : {"latency_us", "bytes_per_connection", "opened", "open_at_end",
                             "stalled", "eof_after_full_echo"}) {
    EXPECT_FALSE(v.contains(absent)) << absent;
  }
}

TEST(ReportTest, PingPongJsonHasLatencyObject) {
  LoadReport r = BulkReport();
  r.mode = Mode::kPingPong;
  r.latency = LatencySummary{1000, false, 10.5, 20.25, 30.125, 4000};
  const Json v = ParseReport(FormatJson(r));
  const Json& latency = v.at("latency_us");
  EXPECT_EQ(Number(latency, "p50"), 10.5);
  EXPECT_EQ(Number(latency, "p90"), 20.25);
  EXPECT_EQ(Number(latency, "p99"), 30.125);
  EXPECT_EQ(Number(latency, "max"), 4000);
  EXPECT_EQ(Number(latency, "samples"), 1000);
  EXPECT_EQ(latency.at("exact"), false);
  EXPECT_FALSE(v.contains("in_flight"));
}

TEST(ReportTest, ModeSpecificJsonFields) {
  LoadReport slow;
  slow.mode = Mode::kSlowReaders;
  slow.slow_readers = SlowReaderResult{1, 2, 3, 4, 5};
  const Json s = ParseReport(FormatJson(slow));
  EXPECT_EQ(Number(s.at("accepted_per_connection"), "median"), 2);
  EXPECT_EQ(Number(s, "stalled"), 4);
  EXPECT_EQ(Number(s, "fully_read_back"), 5);
  EXPECT_TRUE(s.contains("bytes_per_connection"));

  LoadReport churn;
  churn.mode = Mode::kChurn;
  churn.churn = ChurnResult{10, 5, 4};
  const Json c = ParseReport(FormatJson(churn));
  EXPECT_EQ(Number(c, "opened"), 10);
  EXPECT_EQ(Number(c, "closed_by_rst"), 5);
  EXPECT_EQ(Number(c, "verified_connections"), 4);

  LoadReport idle;
  idle.mode = Mode::kIdle;
  idle.idle = IdleResult{7, 6, 20000};
  const Json i = ParseReport(FormatJson(idle));
  EXPECT_EQ(Number(i, "open_at_end"), 7);
  EXPECT_EQ(Number(i, "alive"), 6);
  EXPECT_EQ(Number(i, "fd_limit"), 20000);

  LoadReport half;
  half.mode = Mode::kHalfClose;
  half.half_close = HalfCloseResult{3};
  EXPECT_EQ(Number(ParseReport(FormatJson(half)), "eof_after_full_echo"), 3);
}

TEST(ReportTest, HostileErrorTextStaysValidJson) {
  LoadReport r = BulkReport();
  const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t nul ") +
                            '\0' + " bell \x07 high \xff end";
  r.errors = 1;
  r.error_samples = {nasty};
  const std::string json = FormatJson(r);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  const Json v = ParseReport(json);
  ASSERT_EQ(v.at("error_samples").size(), 1u);
  // Everything but the non-ASCII byte round-trips exactly.
  const std::string back = v.at("error_samples")[0];
  EXPECT_EQ(back.substr(0, back.find(" high")), nasty.substr(0, nasty.find(" high")));
}

TEST(ReportTest, NonFiniteNumbersBecomeZero) {
  LoadReport r = BulkReport();
  r.mb_per_s = std::numeric_limits<double>::quiet_NaN();
  r.msgs_per_s = std::numeric_limits<double>::infinity();
  const Json v = ParseReport(FormatJson(r));
  EXPECT_EQ(Number(v, "mb_per_s"), 0);
  EXPECT_EQ(Number(v, "msgs_per_s"), 0);
}

TEST(ReportTest, JsonStringEscapes) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(ReportJsonTest, MalformedReportsAndMissingFieldsFailTheTest) {
  // What the tests above rely on must itself be able to fail.
  EXPECT_NONFATAL_FAILURE(ParseReport("{\"a\":1,}"), "parse error");
  EXPECT_NONFATAL_FAILURE(ParseReport("{\"a\":NaN}"), "parse error");
  EXPECT_NONFATAL_FAILURE(Number(Json::parse("{\"a\":\"1\"}"), "a"), "no number \"a\"");
  EXPECT_NONFATAL_FAILURE(testing::Text(Json::parse("{}"), "mode"), "no string \"mode\"");
}

}  // namespace
}  // namespace load
}  // namespace echo
