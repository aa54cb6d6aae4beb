#include "tools/load/report.h"

#include <cmath>
#include <utility>

#include "nlohmann/json.hpp"

namespace echo {
namespace load {
namespace {

// Keeps the fields in the order they are set: the report reads top-down.
using Json = nlohmann::ordered_json;

std::string U(uint64_t value) { return std::to_string(value); }

// `next`, which starts where `into` ends, becomes part of it.
void Merge(Interval& into, const Interval& next) {
  into.seconds += next.seconds;
  into.bytes_sent += next.bytes_sent;
  into.bytes_verified += next.bytes_verified;
  into.messages += next.messages;
  into.errors += next.errors;
}

// JSON has no NaN or infinity; a zero-length phase must not break parsers.
double Finite(double value) { return std::isfinite(value) ? value : 0; }

// Whether the mode sends --bytes per connection, rather than messages.
bool SendsBytes(Mode mode) {
  return mode == Mode::kIntegrity || mode == Mode::kHalfClose || mode == Mode::kSlowReaders;
}

// The part of the summary after "N s: " and before ", N errors"; a mode's
// results that are missing show as zeros.
std::string Results(const LoadReport& r) {
  switch (r.options.mode) {
    case Mode::kBulk:
      return StringPrintf("%.1f MB/s, %.0f msgs/s", r.mb_per_s, r.msgs_per_s);
    case Mode::kPingPong: {
      const LatencySummary l = r.latency.value_or(LatencySummary{});
      return StringPrintf("%.0f msgs/s, latency us p50 %.1f, p90 %.1f, p99 %.1f, max %.1f",
                          r.msgs_per_s, l.p50_us, l.p90_us, l.p99_us, l.max_us);
    }
    case Mode::kIntegrity:
      return U(r.bytes_verified) + StringPrintf(" B verified (%.1f MB/s)", r.mb_per_s);
    case Mode::kHalfClose:
      return U(r.bytes_verified) + " B verified, " +
             U(r.half_close.value_or(HalfCloseResult{}).eof_after_full_echo) + "/" +
             U(r.options.connections) + " EOF after full echo";
    case Mode::kSlowReaders: {
      const SlowReaderResult s = r.slow_readers.value_or(SlowReaderResult{});
      return "accepted per conn min " + U(s.accepted_min) + " B, median " +
             U(s.accepted_median) + " B, max " + U(s.accepted_max) + " B, " + U(s.stalled) +
             " stalled; " + U(r.bytes_verified) + " B read back and verified (" +
             U(s.fully_read_back) + " complete)";
    }
    case Mode::kChurn: {
      const ChurnResult c = r.churn.value_or(ChurnResult{});
      return U(c.opened) + StringPrintf(" opened (%.1f/s), ", Finite(c.opened / r.seconds)) +
             U(c.closed_by_reset) + " closed by RST, " + U(c.verified) + " verified";
    }
    case Mode::kIdle: {
      const IdleResult i = r.idle.value_or(IdleResult{});
      return U(i.open_at_end) + " open at end, " + U(i.alive) + " alive (echo verified)";
    }
  }
  return "";
}

// The part of the summary between "MODE: " and ", N s".
std::string Setup(const LoadOptions& o) {
  const std::string conns =
      (o.mode == Mode::kChurn ? "up to " : "") + U(o.connections) + " conns, ";
  if (SendsBytes(o.mode)) {
    return conns + (o.mode == Mode::kSlowReaders ? "up to " : "") + U(o.bytes_per_connection) +
           " B each";
  }
  return conns + U(o.message_size) + " B" +
         (o.mode == Mode::kBulk ? " x " + U(o.in_flight) + " in flight" : "");
}

// The fields of one mode's results in `end`.
void AddModeResults(const LoadReport& r, Json* end) {
  Json& e = *end;
  if (r.latency) {
    const LatencySummary& l = *r.latency;
    e["latency_us"] = {{"p50", l.p50_us}, {"p90", l.p90_us},   {"p99", l.p99_us},
                       {"max", l.max_us}, {"samples", l.samples}, {"exact", l.exact}};
  }
  if (r.half_close) e["eof_after_full_echo"] = r.half_close->eof_after_full_echo;
  if (r.slow_readers) {
    const SlowReaderResult& s = *r.slow_readers;
    e["accepted_per_connection"] = {
        {"min", s.accepted_min}, {"median", s.accepted_median}, {"max", s.accepted_max}};
    e["stalled"] = s.stalled;
    e["fully_read_back"] = s.fully_read_back;
  }
  if (r.churn) {
    e["opened"] = r.churn->opened;
    e["closed_by_rst"] = r.churn->closed_by_reset;
    e["verified_connections"] = r.churn->verified;
  }
  if (r.idle) {
    e["open_at_end"] = r.idle->open_at_end;
    e["alive"] = r.idle->alive;
    e["fd_limit"] = r.idle->fd_limit;
  }
}

Json End(const LoadReport& r) {
  const LoadOptions& o = r.options;
  Json end = {{"mode", ModeName(o.mode)}, {"connections", o.connections}};
  if (!SendsBytes(o.mode)) end["message_size"] = o.message_size;
  if (o.mode == Mode::kBulk) end["in_flight"] = o.in_flight;
  if (SendsBytes(o.mode)) end["bytes_per_connection"] = o.bytes_per_connection;
  end["seed"] = o.seed;
  end["seconds"] = Finite(r.seconds);
  end["bytes_sent"] = r.bytes_sent;
  end["bytes_verified"] = r.bytes_verified;
  end["messages"] = r.messages;
  end["mb_per_s"] = Finite(r.mb_per_s);
  end["msgs_per_s"] = Finite(r.msgs_per_s);
  AddModeResults(r, &end);
  end["interrupted"] = r.interrupted;
  end["errors"] = r.errors.count();
  Json& by_kind = end["errors_by_kind"] = Json::object();
  for (size_t k = 0; k < r.errors.by_kind().size(); ++k) {
    by_kind[kErrorKindNames[k]] = r.errors.by_kind()[k];
  }
  end["error_samples"] = r.errors.samples();
  return end;
}

}  // namespace

void IntervalLog::Add(const Interval& sample) {
  if (!intervals_.empty() && samples_in_last_ < samples_per_interval_) {
    Merge(intervals_.back(), sample);
    ++samples_in_last_;
    return;
  }
  if (intervals_.size() == kMaxIntervals) {
    // Full, its last entry complete: neighbours merge in pairs (in place:
    // entry i is written after entries 2i and 2i + 1 are read).
    for (size_t i = 0; i < kMaxIntervals / 2; ++i) {
      intervals_[i] = intervals_[2 * i];
      Merge(intervals_[i], intervals_[2 * i + 1]);
    }
    intervals_.resize(kMaxIntervals / 2);
    samples_per_interval_ *= 2;
  }
  intervals_.push_back(sample);
  samples_in_last_ = 1;
}

std::string FormatSummaryLine(const LoadReport& r) {
  // Tenths of a second suffice for timed runs; short transfers need more.
  const char* seconds = r.seconds >= 1 ? ", %.1f s: " : ", %.3f s: ";
  return std::string("echo_load ") + ModeName(r.options.mode) + ": " + Setup(r.options) +
         StringPrintf(seconds, r.seconds) + Results(r) + ", " + U(r.errors.count()) +
         (r.errors.count() == 1 ? " error" : " errors") + (r.interrupted ? " (interrupted)" : "");
}

std::string FormatJson(const LoadReport& r) {
  Json intervals = Json::array();
  for (const Interval& i : r.intervals) {
    intervals.push_back({{"start", i.start},
                         {"seconds", i.seconds},
                         {"bytes_sent", i.bytes_sent},
                         {"bytes_verified", i.bytes_verified},
                         {"messages", i.messages},
                         {"errors", i.errors}});
  }
  const Json report = {{"version", LoadVersionText()},
                       {"target", {{"host", r.options.host}, {"port", r.options.port}}},
                       {"start_time", r.start_time},
                       {"intervals", std::move(intervals)},
                       {"end", End(r)}};
  return report.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

}  // namespace load
}  // namespace echo
