#include "tools/load/session.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace echo {
namespace load {

Session::Session(const LoadOptions& options, bool show_progress)
    : options_(options),
      show_progress_(show_progress),
      pattern_(options.seed),
      server_(SocketAddress::Parse(options.host, options.port)),
      read_buffer_(kReadBufferSize) {
  if (!loop_.error().empty()) {
    setup_error_ = loop_.error();
  } else if (!server_) {
    setup_error_ = "'" + options.host + "' is not a numeric address";
  }
  measure_start_ = RefreshNow();
}

std::vector<ClientConnection> Session::ConnectAll(size_t count, uint32_t events) {
  std::vector<ClientConnection> connections(count);
  size_t next = 0;        // The next connection to start.
  size_t in_progress = 0;
  size_t finished = 0;    // Open or failed.
  auto finish = [&](ClientConnection& c) {
    --in_progress;
    ++finished;
    if (!c.open()) LogFailure(c);
  };
  auto start_more = [&] {
    while (next < count && in_progress < kMaxConnectsInProgress) {
      ClientConnection& c = connections[next];
      ++in_progress;
      c.StartConnect(&loop_, *server_, &pattern_, next, events, next, &totals_, now_);
      ++next;
      if (c.state() != ClientConnection::State::kConnecting) finish(c);
    }
  };
  RefreshNow();
  start_more();
  RunUntil(
      // Bounded by the timeout sweep below: every connect finishes in time.
      INT64_MAX, [&] { return finished == count; },
      [&](const ReadyEvent& event) {
        ClientConnection& c = connections[event.tag];
        // Events of connections already open are left for the mode, which
        // starts by trying each connection (see the modes' Kick()).
        if (c.state() != ClientConnection::State::kConnecting) return;
        c.FinishConnect(now_);
        if (c.state() != ClientConnection::State::kConnecting) finish(c);
        start_more();
      },
      [&] {
        for (size_t i = 0; i < next; ++i) {
          ClientConnection& c = connections[i];
          if (c.state() == ClientConnection::State::kConnecting &&
              now_ - c.last_progress() > timeout()) {
            c.Abandon(ErrorKind::kStalled, "connect to " + server_->ToString() + " timed out");
            finish(c);
          }
        }
        start_more();
      });
  return connections;
}

void Session::RunUntil(Nanos deadline, const std::function<bool()>& done,
                       const std::function<void(const ReadyEvent&)>& on_event,
                       const std::function<void()>& on_tick) {
  Nanos next_tick = RefreshNow() + kTickInterval;
  while (!done() && now_ < deadline) {
    const Nanos wake = std::min(deadline, next_tick);
    // Rounded up, so the loop does not spin on a sub-millisecond remainder.
    const Nanos wait = std::max<Nanos>(0, wake - now_);
    const int timeout_ms = static_cast<int>((wait + kNanosPerMilli - 1) / kNanosPerMilli);
    const int ready = loop_.Wait(timeout_ms);
    RefreshNow();
    for (int i = 0; i < ready; ++i) on_event(loop_.event(i));
    if (now_ >= next_tick) {
      if (on_tick) on_tick();
      MaybeShowProgress();
      next_tick = now_ + kTickInterval;
    }
  }
}

void Session::MaybeShowProgress() {
  if (!show_progress_) return;
  if (progress_at_ == 0) {
    progress_at_ = now_;
    return;
  }
  if (now_ - progress_at_ < kNanosPerSecond) return;
  const double seconds = SecondsBetween(progress_at_, now_);
  const double mb_per_s =
      static_cast<double>(totals_.bytes_verified - progress_verified_) / seconds / 1e6;
  const double msgs_per_s =
      static_cast<double>(totals_.messages - progress_messages_) / seconds;
  std::fprintf(stderr, "\r\033[K[%6.1f s] %s: %.1f MB/s, %.0f msgs/s, %llu open, %llu errors",
               SecondsBetween(measure_start_, now_), ModeName(options_.mode), mb_per_s,
               msgs_per_s, static_cast<unsigned long long>(totals_.open),
               static_cast<unsigned long long>(errors_.count()));
  std::fflush(stderr);
  progress_shown_ = true;
  progress_at_ = now_;
  progress_verified_ = totals_.bytes_verified;
  progress_messages_ = totals_.messages;
}

void Session::ClearProgress() {
  if (!progress_shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  progress_shown_ = false;
}

LoadReport Session::BaseReport(double seconds, uint64_t verified_in_phase,
                               uint64_t messages_in_phase) const {
  LoadReport report;
  report.mode = options_.mode;
  report.connections = options_.connections;
  report.message_size = options_.message_size;
  report.in_flight = options_.in_flight;
  report.bytes_per_connection = options_.bytes_per_connection;
  report.seed = options_.seed;
  report.seconds = seconds;
  report.bytes_sent = totals_.bytes_sent;
  report.bytes_verified = totals_.bytes_verified;
  report.messages = messages_in_phase;
  if (seconds > 0) {
    report.mb_per_s = static_cast<double>(verified_in_phase) / seconds / 1e6;
    report.msgs_per_s = static_cast<double>(messages_in_phase) / seconds;
  }
  report.errors = errors_.count();
  report.errors_by_kind = errors_.by_kind();
  report.error_samples = errors_.samples();
  return report;
}

}  // namespace load
}  // namespace echo
