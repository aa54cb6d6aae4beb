#include "tools/load/report.h"

#include <cmath>
#include <cstdio>

namespace echo {
namespace load {
namespace {

// printf into a std::string; only for the short fixed formats used here.
template <typename... Args>
std::string Format(const char* format, Args... args) {
  char text[256];
  std::snprintf(text, sizeof(text), format, args...);
  return text;
}

std::string U(uint64_t value) { return std::to_string(value); }

// A JSON number: fixed notation (no exponent), and 0 for NaN or infinity,
// which JSON cannot express (a zero-length phase must not break parsers).
std::string JsonNumber(double value, int decimals) {
  if (!std::isfinite(value)) value = 0;
  return Format("%.*f", decimals, value);
}

// Builds {"a":1,"b":"x"} field by field.
class JsonObject {
 public:
  JsonObject& Raw(const char* name, const std::string& json) {
    text_ += (text_.empty() ? "{" : ",") + JsonString(name) + ":" + json;
    return *this;
  }
  JsonObject& Int(const char* name, uint64_t value) { return Raw(name, U(value)); }
  JsonObject& Real(const char* name, double value, int decimals) {
    return Raw(name, JsonNumber(value, decimals));
  }
  JsonObject& Str(const char* name, std::string_view value) {
    return Raw(name, JsonString(value));
  }
  JsonObject& Bool(const char* name, bool value) {
    return Raw(name, value ? "true" : "false");
  }
  std::string Close() const { return text_.empty() ? "{}" : text_ + "}"; }

 private:
  std::string text_;
};

bool UsesMessages(Mode mode) {
  return mode == Mode::kBulk || mode == Mode::kPingPong || mode == Mode::kChurn ||
         mode == Mode::kIdle;
}

bool UsesBytesPerConnection(Mode mode) {
  return mode == Mode::kIntegrity || mode == Mode::kHalfClose ||
         mode == Mode::kSlowReaders;
}

// The part of the summary after "N s: " and before ", N errors".
std::string Results(const LoadReport& r) {
  switch (r.mode) {
    case Mode::kBulk:
      return Format("%.1f MB/s, %.0f msgs/s", r.mb_per_s, r.msgs_per_s);
    case Mode::kPingPong: {
      std::string text = Format("%.0f msgs/s", r.msgs_per_s);
      if (r.latency) {
        text += Format(", latency us p50 %.1f, p90 %.1f, p99 %.1f, max %.1f",
                       r.latency->p50_us, r.latency->p90_us, r.latency->p99_us,
                       r.latency->max_us);
      }
      return text;
    }
    case Mode::kIntegrity:
      return U(r.bytes_verified) + " B verified" + Format(" (%.1f MB/s)", r.mb_per_s);
    case Mode::kHalfClose: {
      std::string text = U(r.bytes_verified) + " B verified";
      if (r.half_close) {
        text += ", " + U(r.half_close->eof_after_full_echo) + "/" + U(r.connections) +
                " EOF after full echo";
      }
      return text;
    }
    case Mode::kSlowReaders: {
      if (!r.slow_readers) return U(r.bytes_verified) + " B read back";
      const SlowReaderResult& s = *r.slow_readers;
      return "accepted per conn min " + U(s.accepted_min) + " B, median " +
             U(s.accepted_median) + " B, max " + U(s.accepted_max) + " B, " +
             U(s.stalled) + " stalled; " + U(r.bytes_verified) +
             " B read back and verified (" + U(s.fully_read_back) + " complete)";
    }
    case Mode::kChurn: {
      if (!r.churn) return "";
      const ChurnResult& c = *r.churn;
      const double per_second = r.seconds > 0 ? static_cast<double>(c.opened) / r.seconds : 0;
      return U(c.opened) + Format(" opened (%.1f/s), ", per_second) +
             U(c.closed_by_reset) + " closed by RST, " + U(c.verified) + " verified";
    }
    case Mode::kIdle: {
      if (!r.idle) return "";
      return U(r.idle->open_at_end) + " open at end, " + U(r.idle->alive) +
             " alive (echo verified)";
    }
  }
  return "";
}

// The part of the summary between "MODE: " and ", N s".
std::string Setup(const LoadReport& r) {
  const std::string conns = U(r.connections) + " conns";
  switch (r.mode) {
    case Mode::kBulk:
      return conns + ", " + U(r.message_size) + " B x " + U(r.in_flight) + " in flight";
    case Mode::kPingPong:
    case Mode::kIdle:
      return conns + ", " + U(r.message_size) + " B";
    case Mode::kChurn:
      return "up to " + conns + ", " + U(r.message_size) + " B";
    case Mode::kIntegrity:
    case Mode::kHalfClose:
      return conns + ", " + U(r.bytes_per_connection) + " B each";
    case Mode::kSlowReaders:
      return conns + ", up to " + U(r.bytes_per_connection) + " B each";
  }
  return conns;
}

}  // namespace

std::string FormatSummaryLine(const LoadReport& r) {
  // Tenths of a second suffice for timed runs; short transfers need more.
  const char* seconds = r.seconds >= 1 ? ", %.1f s: " : ", %.3f s: ";
  return std::string("echo_load ") + ModeName(r.mode) + ": " + Setup(r) +
         Format(seconds, r.seconds) + Results(r) + ", " + U(r.errors) +
         (r.errors == 1 ? " error" : " errors");
}

std::string FormatJson(const LoadReport& r) {
  JsonObject json;
  json.Str("mode", ModeName(r.mode)).Int("connections", r.connections);
  if (UsesMessages(r.mode)) json.Int("message_size", r.message_size);
  if (r.mode == Mode::kBulk) json.Int("in_flight", r.in_flight);
  if (UsesBytesPerConnection(r.mode)) json.Int("bytes_per_connection", r.bytes_per_connection);
  json.Int("seed", r.seed)
      .Real("seconds", r.seconds, 3)
      .Int("bytes_sent", r.bytes_sent)
      .Int("bytes_verified", r.bytes_verified)
      .Int("messages", r.messages)
      .Real("mb_per_s", r.mb_per_s, 3)
      .Real("msgs_per_s", r.msgs_per_s, 1);
  if (r.latency) {
    const LatencySummary& l = *r.latency;
    json.Raw("latency_us", JsonObject()
                               .Real("p50", l.p50_us, 3)
                               .Real("p90", l.p90_us, 3)
                               .Real("p99", l.p99_us, 3)
                               .Real("max", l.max_us, 3)
                               .Int("samples", l.samples)
                               .Bool("exact", l.exact)
                               .Close());
  }
  if (r.half_close) json.Int("eof_after_full_echo", r.half_close->eof_after_full_echo);
  if (r.slow_readers) {
    const SlowReaderResult& s = *r.slow_readers;
    json.Raw("accepted_per_connection", JsonObject()
                                            .Int("min", s.accepted_min)
                                            .Int("median", s.accepted_median)
                                            .Int("max", s.accepted_max)
                                            .Close())
        .Int("stalled", s.stalled)
        .Int("fully_read_back", s.fully_read_back);
  }
  if (r.churn) {
    json.Int("opened", r.churn->opened)
        .Int("closed_by_rst", r.churn->closed_by_reset)
        .Int("verified_connections", r.churn->verified);
  }
  if (r.idle) {
    json.Int("open_at_end", r.idle->open_at_end)
        .Int("alive", r.idle->alive)
        .Int("fd_limit", r.idle->fd_limit);
  }
  std::string samples = "[";
  for (size_t i = 0; i < r.error_samples.size(); ++i) {
    if (i > 0) samples += ",";
    samples += JsonString(r.error_samples[i]);
  }
  samples += "]";
  JsonObject by_kind;
  for (const ErrorKind kind : kErrorKinds) by_kind.Int(ErrorKindName(kind), r.errors_by_kind[kind]);
  json.Int("errors", r.errors)
      .Raw("errors_by_kind", by_kind.Close())
      .Raw("error_samples", samples);
  return json.Close();
}

std::string JsonString(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        // Other control bytes, and bytes beyond ASCII, as \u00XX: the
        // output stays valid JSON (and valid UTF-8) whatever the text.
        if (c < 0x20 || c >= 0x7f) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  return out + "\"";
}

}  // namespace load
}  // namespace echo
