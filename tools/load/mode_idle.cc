// mode_idle.cc: many connections held open without traffic.
//
// Opens --connections, then watches them for --duration without sending:
// any EOF, reset or byte from the server meanwhile is an error (an echo
// server has nothing to say to a silent client). Then each connection that
// is still open sends one --message-size message and must get it back
// within --timeout: it was not merely open, it was still served.

#include <sys/resource.h>

#include <cstdio>

#include <vector>

#include "tools/load/mode_support.h"
#include "tools/load/modes.h"

namespace echo {
namespace load {

LoadReport RunIdle(Session& session) {
  const LoadOptions& options = session.options();
  const uint64_t message_size = options.message_size;
  IdleResult result;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) result.fd_limit = limit.rlim_cur;

  std::vector<ClientConnection> connections =
      session.ConnectAll(options.connections, kReadWriteEvents);

  session.StartMeasuring();
  const Nanos start = session.now();
  const EventHandler while_idle = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open() || !(event.events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return;
    // Nothing was sent, so any byte that arrives fails verification as
    // "beyond everything sent"; a reset fails recv().
    ClientConnection::ReadOptions read;
    read.peer_may_have_closed = PeerMayHaveClosed(event.events);
    const auto status =
        c.ReadAvailable(session.read_buffer(), session.read_buffer_size(), session.now(), read);
    if (status == ClientConnection::ReadStatus::kEof) {
      char text[96];
      std::snprintf(text, sizeof(text), "the server closed the connection after %.1f s idle",
                    SecondsBetween(start, session.now()));
      c.Abandon(ErrorKind::kClosed, text);
    }
    if (!c.open()) session.LogFailure(c);
  };
  Kick(connections, while_idle);
  session.RunUntil(start + options.duration_ms * kNanosPerMilli,
                   [&] { return session.totals().open == 0; }, while_idle);
  const double seconds = SecondsBetween(start, session.RefreshNow());
  result.open_at_end = session.totals().open;

  // Liveness: one message on each connection still open.
  const EventHandler probing = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open()) return;
    if (c.bytes_sent() < message_size &&
        c.SendUpTo(message_size, PatternTable::kPeriod, nullptr, session.now()) ==
            ClientConnection::SendStatus::kFailed) {
      session.LogFailure(c);
      return;
    }
    ClientConnection::ReadOptions read;
    read.peer_may_have_closed = PeerMayHaveClosed(event.events);
    const auto status =
        c.ReadAvailable(session.read_buffer(), session.read_buffer_size(), session.now(), read);
    if (status == ClientConnection::ReadStatus::kFailed) {
      session.LogFailure(c);
      return;
    }
    if (c.bytes_verified() == message_size) {
      ++result.alive;
      c.CloseGracefully();
      return;
    }
    if (status == ClientConnection::ReadStatus::kEof) {
      c.Abandon(ErrorKind::kClosed, "unexpected EOF before the liveness message's echo");
      session.LogFailure(c);
    }
  };
  Kick(connections, probing);
  session.RunUntil(session.RefreshNow() + session.timeout(),
                   [&] { return session.totals().open == 0; }, probing);
  AbandonOpen(session, connections, "no echo of the liveness message within the timeout");

  LoadReport report = session.BaseReport(seconds, 0, 0);
  report.idle = result;
  return report;
}

}  // namespace load
}  // namespace echo
