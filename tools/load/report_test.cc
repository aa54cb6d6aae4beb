// Tests for the report: the summary line of each mode; JSON that a strict
// parser (nlohmann/json) accepts, laid out as iperf3's, with every field
// the mode should have and none it should not, even for hostile error text
// and degenerate numbers; and the bounded timeline.

#include "tools/load/report.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace echo {
namespace load {
namespace {

using Json = nlohmann::json;

// The report in `text`, read strictly (RFC 8259): a parse error fails the
// test and gives an empty object.
Json ParseReport(const std::string& text) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& error) {
    ADD_FAILURE() << error.what() << "\n" << text;
    return Json::object();
  }
}

// The number `key` of `object`, or NaN after failing the test.
double Number(const Json& object, const std::string& key) {
  const auto it = object.find(key);
  const bool ok = it != object.end() && it->is_number();
  EXPECT_TRUE(ok) << "no number \"" << key << "\" in " << object.dump();
  return ok ? it->get<double>() : std::nan("");
}

// The string `key` of `object`, or "" after failing the test.
std::string Text(const Json& object, const std::string& key) {
  const auto it = object.find(key);
  const bool ok = it != object.end() && it->is_string();
  EXPECT_TRUE(ok) << "no string \"" << key << "\" in " << object.dump();
  return ok ? it->get<std::string>() : std::string();
}

LoadReport Report(Mode mode, uint32_t connections, double seconds) {
  LoadReport r;
  r.options.mode = mode;
  r.options.connections = connections;
  r.seconds = seconds;
  return r;
}

LoadReport BulkReport() {
  LoadReport r = Report(Mode::kBulk, 16, 10.0);
  r.options.port = 8192;
  r.start_time = "2026-11-03T09:14:07Z";
  r.options.message_size = 4096;
  r.options.in_flight = 4;
  r.bytes_sent = 12'345'000'000;
  r.bytes_verified = 12'345'000'000;
  r.messages = 3'012'340;
  r.mb_per_s = 1234.5;
  r.msgs_per_s = 301234;
  return r;
}

// The `end` object of `r`'s JSON.
Json End(const LoadReport& r) {
  const std::string json = FormatJson(r);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  const Json v = ParseReport(json);
  EXPECT_TRUE(v.contains("end")) << json;
  return v.value("end", Json::object());
}

// Every field of the JSON object `expected` is in `end`, with its value.
void ExpectFields(const Json& end, const char* expected) {
  const Json fields = Json::parse(expected);
  for (const auto& [key, value] : fields.items()) {
    EXPECT_EQ(end.value(key, Json()), value) << key << " in " << end.dump();
  }
}

TEST(ReportTest, SummaryLineOfEveryMode) {
  LoadReport ping = BulkReport();
  ping.options.mode = Mode::kPingPong;
  ping.options.connections = 1;
  ping.options.message_size = 64;
  ping.msgs_per_s = 25000;
  ping.latency = LatencySummary{250000, true, 38.31, 41.0, 60.5, 812.0};
  ping.errors.Add(ErrorKind::kOther, "x");
  LoadReport half = Report(Mode::kHalfClose, 2, 0.0421);
  half.options.bytes_per_connection = 1000;
  half.bytes_verified = 2000;
  half.half_close = HalfCloseResult{2};
  LoadReport churn = Report(Mode::kChurn, 8, 2);
  churn.options.message_size = 64;
  churn.churn = ChurnResult{100, 50, 49};
  churn.errors.Add(ErrorKind::kOther, "x");
  LoadReport slow = Report(Mode::kSlowReaders, 3, 1);
  slow.options.bytes_per_connection = 1000000;
  slow.bytes_verified = 900;
  slow.slow_readers = SlowReaderResult{100, 300, 500, 2, 3};
  LoadReport stopped = BulkReport();
  stopped.interrupted = true;
  LoadReport idle = Report(Mode::kIdle, 10000, 5);
  idle.options.message_size = 16;
  idle.idle = IdleResult{10000, 9999, 20000};
  const std::vector<std::pair<LoadReport, std::string>> cases = {
      {BulkReport(),
       "echo_load bulk: 16 conns, 4096 B x 4 in flight, 10.0 s: 1234.5 MB/s, 301234 msgs/s, "
       "0 errors"},
      {stopped,
       "echo_load bulk: 16 conns, 4096 B x 4 in flight, 10.0 s: 1234.5 MB/s, 301234 msgs/s, "
       "0 errors (interrupted)"},
      {ping,
       "echo_load ping-pong: 1 conns, 64 B, 10.0 s: 25000 msgs/s, latency us p50 38.3, p90 "
       "41.0, p99 60.5, max 812.0, 1 error"},
      // Short runs show milliseconds.
      {half,
       "echo_load half-close: 2 conns, 1000 B each, 0.042 s: 2000 B verified, 2/2 EOF after "
       "full echo, 0 errors"},
      {churn,
       "echo_load churn: up to 8 conns, 64 B, 2.0 s: 100 opened (50.0/s), 50 closed by RST, 49 "
       "verified, 1 error"},
      {slow,
       "echo_load slow-readers: 3 conns, up to 1000000 B each, 1.0 s: accepted per conn min "
       "100 B, median 300 B, max 500 B, 2 stalled; 900 B read back and verified (3 complete), "
       "0 errors"},
      {idle,
       "echo_load idle: 10000 conns, 16 B, 5.0 s: 10000 open at end, 9999 alive (echo "
       "verified), 0 errors"},
  };
  for (const auto& [report, line] : cases) EXPECT_EQ(FormatSummaryLine(report), line);
}

TEST(ReportTest, JsonIsLaidOutAsIperf3s) {
  LoadReport r = BulkReport();
  r.intervals = {{0, 1.0, 100, 90, 9, 0}, {1.0, 0.5, 50, 60, 6, 1}};
  const Json v = ParseReport(FormatJson(r));
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(Text(v, "version"), LoadVersionText());
  EXPECT_EQ(v.at("target"), Json::parse(R"({"host": "127.0.0.1", "port": 8192})"));
  EXPECT_EQ(Text(v, "start_time"), "2026-11-03T09:14:07Z");
  EXPECT_EQ(v.at("intervals"), Json::parse(R"([
      {"start": 0, "seconds": 1, "bytes_sent": 100, "bytes_verified": 90, "messages": 9,
       "errors": 0},
      {"start": 1, "seconds": 0.5, "bytes_sent": 50, "bytes_verified": 60, "messages": 6,
       "errors": 1}])"));
  EXPECT_TRUE(v.at("end").is_object());
}

TEST(ReportTest, BulkEndHasEveryMetric) {
  LoadReport r = BulkReport();
  r.errors.Add(ErrorKind::kWrongData, "connection 3 (sent 10 B, 2 B echoed): wrong byte");
  r.errors.Add(ErrorKind::kStalled, "second");
  const Json end = End(r);
  ExpectFields(end, R"({"mode": "bulk", "connections": 16, "message_size": 4096,
      "in_flight": 4, "seconds": 10, "bytes_sent": 12345000000, "bytes_verified": 12345000000,
      "messages": 3012340, "mb_per_s": 1234.5, "msgs_per_s": 301234, "interrupted": false,
      "errors": 2, "error_samples": ["connection 3 (sent 10 B, 2 B echoed): wrong byte",
      "second"], "errors_by_kind": {"wrong_data": 1, "closed": 0, "stalled": 1, "other": 0}})");
  // Fields of other modes stay out.
  for (const char* absent : {"latency_us", "bytes_per_connection", "opened", "open_at_end",
                             "stalled", "eof_after_full_echo"}) {
    EXPECT_FALSE(end.contains(absent)) << absent;
  }
}

TEST(ReportTest, ModeSpecificEndFields) {
  LoadReport ping = BulkReport();
  ping.options.mode = Mode::kPingPong;
  ping.latency = LatencySummary{1000, false, 10.5, 20.25, 30.125, 4000};
  ExpectFields(End(ping), R"({"latency_us": {"p50": 10.5, "p90": 20.25, "p99": 30.125,
                                            "max": 4000, "samples": 1000, "exact": false}})");
  EXPECT_FALSE(End(ping).contains("in_flight"));

  LoadReport slow = Report(Mode::kSlowReaders, 1, 1);
  slow.slow_readers = SlowReaderResult{1, 2, 3, 4, 5};
  ExpectFields(End(slow), R"({"accepted_per_connection": {"min": 1, "median": 2, "max": 3},
                              "stalled": 4, "fully_read_back": 5, "bytes_per_connection": 1048576})");
  LoadReport churn = Report(Mode::kChurn, 1, 1);
  churn.churn = ChurnResult{10, 5, 4};
  ExpectFields(End(churn), R"({"opened": 10, "closed_by_rst": 5, "verified_connections": 4})");
  LoadReport idle = Report(Mode::kIdle, 1, 1);
  idle.idle = IdleResult{7, 6, 20000};
  ExpectFields(End(idle), R"({"open_at_end": 7, "alive": 6, "fd_limit": 20000})");
  LoadReport half = Report(Mode::kHalfClose, 1, 1);
  half.half_close = HalfCloseResult{3};
  ExpectFields(End(half), R"({"eof_after_full_echo": 3})");
}

TEST(ReportTest, HostileErrorTextStaysValidJson) {
  LoadReport r = BulkReport();
  const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t nul ") +
                            '\0' + " bell \x07 high \xff end";
  r.errors.Add(ErrorKind::kOther, nasty);
  const Json end = End(r);
  ASSERT_EQ(end.at("error_samples").size(), 1u);
  // Everything but the byte that is not UTF-8 round-trips exactly.
  const std::string back = end.at("error_samples")[0];
  EXPECT_EQ(back.substr(0, back.find(" high")), nasty.substr(0, nasty.find(" high")));
  EXPECT_NE(back.find(" high \xef\xbf\xbd end"), std::string::npos) << back;
}

TEST(ReportTest, NonFiniteNumbersBecomeZero) {
  LoadReport r = BulkReport();
  r.mb_per_s = std::numeric_limits<double>::quiet_NaN();
  r.msgs_per_s = std::numeric_limits<double>::infinity();
  const Json end = End(r);
  EXPECT_EQ(Number(end, "mb_per_s"), 0);
  EXPECT_EQ(Number(end, "msgs_per_s"), 0);
}

TEST(IntervalLogTest, KeepsOneEntryPerSampleUpToTheBound) {
  IntervalLog log;
  for (int i = 0; i < 3; ++i) log.Add({i * 1.0, 1.0, 10, 10, 1, 0});
  ASSERT_EQ(log.intervals().size(), 3u);
  EXPECT_EQ(log.intervals()[2].start, 2.0);
}

TEST(IntervalLogTest, MergesPairsWhenFullAndStillCoversTheWholeRun) {
  IntervalLog log;
  const size_t samples = 3 * IntervalLog::kMaxIntervals + 7;
  for (size_t i = 0; i < samples; ++i) log.Add({i * 1.0, 1.0, 2, 1, 1, i == 5 ? 1u : 0u});
  const std::vector<Interval>& kept = log.intervals();
  ASSERT_LE(kept.size(), IntervalLog::kMaxIntervals);
  double next_start = 0;
  uint64_t bytes_sent = 0, messages = 0, errors = 0;
  for (const Interval& interval : kept) {
    EXPECT_EQ(interval.start, next_start);
    // Doubled twice: four samples each, but for the last, still filling.
    EXPECT_EQ(interval.seconds, &interval == &kept.back() ? 3.0 : 4.0);
    next_start += interval.seconds;
    bytes_sent += interval.bytes_sent;
    messages += interval.messages;
    errors += interval.errors;
  }
  EXPECT_EQ(next_start, samples);
  EXPECT_EQ(bytes_sent, 2 * samples);
  EXPECT_EQ(messages, samples);
  EXPECT_EQ(errors, 1u);
}

TEST(ReportJsonTest, MalformedReportsAndMissingFieldsFailTheTest) {
  // What the tests above rely on must itself be able to fail.
  EXPECT_NONFATAL_FAILURE(ParseReport("{\"a\":1,}"), "parse error");
  EXPECT_NONFATAL_FAILURE(ParseReport("{\"a\":NaN}"), "parse error");
  EXPECT_NONFATAL_FAILURE(Number(Json::parse("{\"a\":\"1\"}"), "a"), "no number \"a\"");
  EXPECT_NONFATAL_FAILURE(Text(Json::parse("{}"), "mode"), "no string \"mode\"");
}

}  // namespace
}  // namespace load
}  // namespace echo
