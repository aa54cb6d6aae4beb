#include "tools/load/session.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace echo {
namespace load {
namespace {

std::string Iso8601Utc(std::time_t time) {
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

Session::Session(const LoadOptions& options, bool show_progress,
                 const volatile std::sig_atomic_t* stop)
    : options_(options),
      show_progress_(show_progress),
      stop_(stop),
      run_(options.seed, kReadBufferSize) {
  run_.server = SocketAddress::Parse(options.host, options.port);
  if (!run_.loop.error().empty()) {
    setup_error_ = run_.loop.error();
  } else if (!run_.server) {
    setup_error_ = "'" + options.host + "' is not a numeric address";
  }
  start_time_ = Iso8601Utc(std::time(nullptr));
  start_ = sampled_at_ = RefreshNow();
}

Connections Session::ConnectAll(size_t count, uint32_t events) {
  Connections connections(count);
  size_t next = 0;  // The next connection to start.
  size_t in_progress = 0;
  auto settle = [&](const ClientConnection& c) {
    if (c.state() != ClientConnection::State::kConnecting) --in_progress;
  };
  auto start_more = [&] {
    while (next < count && in_progress < kMaxConnectsInProgress) {
      ++in_progress;
      connections[next].StartConnect(&run_, next, events, next);
      settle(connections[next++]);
    }
  };
  RefreshNow();
  start_more();
  RunUntil(
      // Bounded by the timeout sweep below: every connect finishes in time.
      kForever, [&] { return (next == count && in_progress == 0) || stopped(); },
      [&](const ReadyEvent& event) {
        ClientConnection& c = connections[event.tag];
        // Events of connections already open are left for the mode, which
        // starts by trying each connection (RunPhase()).
        if (c.state() != ClientConnection::State::kConnecting) return;
        c.FinishConnect();
        settle(c);
        start_more();
      },
      [&] {
        for (size_t i = 0; i < next; ++i) {
          ClientConnection& c = connections[i];
          if (c.state() == ClientConnection::State::kConnecting &&
              c.AbandonIfStalled(timeout(), "the connect")) {
            settle(c);
          }
        }
        start_more();
      });
  for (ClientConnection& c : connections) {
    if (c.state() == ClientConnection::State::kConnecting) c.CloseWithReset();  // Stopped.
  }
  return connections;
}

void Session::RunPhase(Connections& connections, Nanos length,
                       const std::function<bool()>& done, const EventHandler& on_event,
                       const std::function<void()>& on_tick, uint32_t kick_events) {
  const Nanos start = RefreshNow();
  for (size_t i = 0; i < connections.size(); ++i) {
    if (connections[i].open()) on_event({i, kick_events});
  }
  const std::function<bool()> all_closed = [this] { return run_.totals.open == 0; };
  RunUntil(length == kForever ? kForever : start + length, done ? done : all_closed, on_event,
           on_tick);
}

void Session::Measure(Connections& connections, Nanos length, const EventHandler& on_event,
                      const std::function<void()>& on_tick, uint32_t kick_events,
                      const std::function<bool()>& done) {
  const Nanos start = RefreshNow();
  RunPhase(
      connections, length,
      [&] { return (done ? done() : run_.totals.open == 0) || stopped(); }, on_event, on_tick,
      kick_events);
  measured_seconds_ = SecondsBetween(start, RefreshNow());
  measured_ = run_.totals;
}

void Session::RunUntil(Nanos deadline, const std::function<bool()>& done,
                       const EventHandler& on_event, const std::function<void()>& on_tick) {
  Nanos next_tick = RefreshNow() + kTickInterval;
  while (!done() && now() < deadline) {
    const Nanos wake = std::min(deadline, next_tick);
    // Rounded up, so the loop does not spin on a sub-millisecond remainder.
    const Nanos wait = std::max<Nanos>(0, wake - now()) + kNanosPerMilli - 1;
    const int ready = run_.loop.Wait(static_cast<int>(wait / kNanosPerMilli));
    RefreshNow();
    for (int i = 0; i < ready; ++i) on_event(run_.loop.event(i));
    if (now() >= next_tick) {
      if (on_tick) on_tick();
      if (now() - sampled_at_ >= kNanosPerSecond) Sample();
      next_tick = now() + kTickInterval;
    }
  }
}

void Session::Sample() {
  const TrafficTotals& totals = run_.totals;
  const Interval interval{SecondsBetween(start_, sampled_at_), SecondsBetween(sampled_at_, now()),
                          totals.bytes_sent - sampled_.bytes_sent,
                          totals.bytes_verified - sampled_.bytes_verified,
                          totals.messages - sampled_.messages,
                          run_.errors.count() - sampled_.errors};
  sampled_ = {0, 0, totals.bytes_sent, totals.bytes_verified, totals.messages, run_.errors.count()};
  sampled_at_ = now();
  timeline_.Add(interval);
  if (!show_progress_) return;
  std::fprintf(stderr, "\r\033[K[%6.1f s] %s: %.1f MB/s, %.0f msgs/s, %llu open, %llu errors",
               SecondsBetween(start_, now()), ModeName(options_.mode),
               static_cast<double>(interval.bytes_verified) / interval.seconds / 1e6,
               static_cast<double>(interval.messages) / interval.seconds,
               static_cast<unsigned long long>(totals.open),
               static_cast<unsigned long long>(sampled_.errors));
  std::fflush(stderr);
  progress_shown_ = true;
}

void Session::ClearProgress() {
  if (!progress_shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  progress_shown_ = false;
}

void Session::FillReport(LoadReport& report) {
  // The last stretch, shorter than a second: the timeline adds up to the
  // totals.
  if (RefreshNow() > sampled_at_) Sample();
  report.options = options_;
  report.start_time = start_time_;
  report.intervals = timeline_.intervals();
  report.seconds = measured_seconds_;
  report.bytes_sent = run_.totals.bytes_sent;
  report.bytes_verified = run_.totals.bytes_verified;
  report.messages = measured_.messages;
  if (measured_seconds_ > 0) {
    report.mb_per_s = static_cast<double>(measured_.bytes_verified) / measured_seconds_ / 1e6;
    report.msgs_per_s = static_cast<double>(measured_.messages) / measured_seconds_;
  }
  report.interrupted = stopped();
  report.errors = run_.errors;
}

}  // namespace load
}  // namespace echo
