// mode_pipelined.cc: bulk and ping-pong, one exchange with a window.
//
// Each connection may have `in_flight` messages of `message_size` bytes
// sent but not yet echoed (ping-pong: one). Whenever echoes complete
// messages, the window slides and the next whole messages go out in one
// send() (they are contiguous in the stream): the wire sees the same bytes
// as one send per message, for fewer system calls on the client's side.

#include <optional>
#include <vector>

#include "tools/load/mode_support.h"
#include "tools/load/modes.h"
#include "tools/load/percentiles.h"

namespace echo {
namespace load {

LoadReport RunPipelined(Session& session) {
  const LoadOptions& options = session.options();
  const bool ping_pong = options.mode == Mode::kPingPong;
  const uint64_t message_size = options.message_size;
  const uint64_t window = ping_pong ? 1 : options.in_flight;

  std::vector<ClientConnection> connections =
      session.ConnectAll(options.connections, kReadWriteEvents);

  struct Exchange {
    uint64_t messages_done = 0;  // Completely echoed and verified.
    Nanos message_started = 0;   // ping-pong: when the current one was sent.
  };
  std::vector<Exchange> exchanges(connections.size());
  std::optional<LatencyRecorder> latency;
  if (ping_pong) latency.emplace(LatencyRecorder::kDefaultCapacity, options.seed);
  bool sending = true;

  auto send_more = [&](size_t i) {
    ClientConnection& c = connections[i];
    Exchange& x = exchanges[i];
    const uint64_t limit = (x.messages_done + window) * message_size;
    if (!sending || c.bytes_sent() >= limit) return;
    // Timed from just before the first byte leaves to just after the last
    // byte of its echo is verified: what a client of the server would see.
    if (ping_pong && c.outstanding() == 0) x.message_started = MonotonicNow();
    if (c.SendUpTo(limit, PatternTable::kPeriod, nullptr, session.now()) ==
        ClientConnection::SendStatus::kFailed) {
      session.LogFailure(c);
    }
  };

  auto receive = [&](size_t i, uint32_t events) {
    ClientConnection& c = connections[i];
    Exchange& x = exchanges[i];
    // ping-pong stops reading at the end of the message, so the time is
    // taken right after its last byte rather than after one more recv();
    // not when the peer may have closed, whose EOF must be read now.
    ClientConnection::ReadOptions read;
    read.peer_may_have_closed = PeerMayHaveClosed(events);
    if (ping_pong && !read.peer_may_have_closed) read.stop_at = c.bytes_sent();
    const auto status =
        c.ReadAvailable(session.read_buffer(), session.read_buffer_size(), session.now(), read);
    if (status == ClientConnection::ReadStatus::kFailed) {
      session.LogFailure(c);
      return;
    }
    const uint64_t done = c.bytes_verified() / message_size;
    if (done > x.messages_done) {
      if (ping_pong) latency->Record(static_cast<uint64_t>(MonotonicNow() - x.message_started));
      session.totals().messages += done - x.messages_done;
      x.messages_done = done;
    }
    if (status == ClientConnection::ReadStatus::kEof) {
      c.Abandon(ErrorKind::kClosed, "unexpected EOF: the server closed the connection");
      session.LogFailure(c);
    }
  };

  const EventHandler on_event = [&](const ReadyEvent& event) {
    const size_t i = event.tag;
    if (!connections[i].open()) return;
    // EPOLLERR and EPOLLHUP go to recv(), which reports the reset or EOF.
    if (event.events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) receive(i, event.events);
    // Reading may have opened the window; EPOLLOUT means there is room.
    if (connections[i].open()) send_more(i);
  };
  auto has_outstanding = [&](size_t i) { return connections[i].outstanding() > 0; };
  auto abandon_stalled = [&] {
    AbandonStalled(session, connections, has_outstanding, "the echo");
  };

  // The measured phase: --duration of traffic.
  session.StartMeasuring();
  const Nanos start = session.now();
  Kick(connections, on_event);
  session.RunUntil(
      start + options.duration_ms * kNanosPerMilli,
      [&] { return session.totals().open == 0; }, on_event, abandon_stalled);
  const double seconds = SecondsBetween(start, session.RefreshNow());
  const uint64_t verified_in_phase = session.totals().bytes_verified;
  const uint64_t messages_in_phase = session.totals().messages;

  // Wind-down, not measured: every byte sent must still come back.
  sending = false;
  auto all_echoed = [&] {
    for (size_t i = 0; i < connections.size(); ++i) {
      if (connections[i].open() && has_outstanding(i)) return false;
    }
    return true;
  };
  session.RunUntil(session.now() + session.timeout() + Session::kTickInterval, all_echoed,
                   on_event, abandon_stalled);
  for (size_t i = 0; i < connections.size(); ++i) {
    ClientConnection& c = connections[i];
    if (!c.open()) continue;
    if (has_outstanding(i)) {
      c.Abandon(ErrorKind::kStalled,
                "the echo did not complete within the timeout after the run");
      session.LogFailure(c);
      continue;
    }
    c.CloseGracefully();
  }

  LoadReport report = session.BaseReport(seconds, verified_in_phase, messages_in_phase);
  if (latency) report.latency = latency->Summarize();
  return report;
}

}  // namespace load
}  // namespace echo
