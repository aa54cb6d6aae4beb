// mode_slow_readers.cc: clients that send and never read.
//
// For --duration each connection sends what its socket accepts of --bytes,
// reading nothing (and keeps not reading until --duration is over, even if
// all was sent); a server that bounds its output stops reading from such
// a client, so the socket stalls and the bytes accepted per connection show
// how much the server (and the kernel between) let through. The sockets are
// not watched for input then: the echo piling up must not wake the client.
// Afterwards each connection reads back what it can within --timeout,
// verifies it as a prefix of what it sent, and resets.

#include <algorithm>
#include <vector>

#include "tools/load/mode_support.h"
#include "tools/load/modes.h"

namespace echo {
namespace load {

LoadReport RunSlowReaders(Session& session) {
  const LoadOptions& options = session.options();
  const uint64_t total = options.bytes_per_connection;

  // EPOLLRDHUP still tells us if the server closes the connection on us.
  std::vector<ClientConnection> connections =
      session.ConnectAll(options.connections, EPOLLOUT | EPOLLRDHUP);
  std::vector<bool> connected(connections.size(), false);
  for (size_t i = 0; i < connections.size(); ++i) connected[i] = connections[i].open();

  const EventHandler while_not_reading = [&](const ReadyEvent& event) {
    const size_t i = event.tag;
    ClientConnection& c = connections[i];
    if (!c.open()) return;
    if (event.events & (EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
      c.AbandonWithSocketError("the server closed the connection of a client not reading");
      session.LogFailure(c);
      return;
    }
    if (c.bytes_sent() >= total) return;
    // Keeps trying on every EPOLLOUT until time runs out.
    if (c.SendUpTo(total, PatternTable::kPeriod, nullptr, session.now()) ==
        ClientConnection::SendStatus::kFailed) {
      session.LogFailure(c);
    }
  };
  session.StartMeasuring();
  const Nanos start = session.now();
  // Not Kick(): its EPOLLRDHUP would read as the server closing.
  for (size_t i = 0; i < connections.size(); ++i) {
    if (connections[i].open()) while_not_reading({i, EPOLLOUT});
  }
  // The whole --duration even if everything was sent early: the server is
  // meant to hold (or refuse) the unread echo all that time.
  session.RunUntil(start + options.duration_ms * kNanosPerMilli,
                   [&] { return session.totals().open == 0; }, while_not_reading);
  const double seconds = SecondsBetween(start, session.RefreshNow());

  SlowReaderResult result;
  std::vector<uint64_t> accepted;
  for (size_t i = 0; i < connections.size(); ++i) {
    if (!connected[i]) continue;
    accepted.push_back(connections[i].bytes_sent());
    // It kept trying until the end, so anything unsent means its socket
    // stayed full: the server had stopped reading.
    if (connections[i].open() && connections[i].bytes_sent() < total) ++result.stalled;
  }
  if (!accepted.empty()) {
    std::sort(accepted.begin(), accepted.end());
    result.accepted_min = accepted.front();
    result.accepted_median = accepted[(accepted.size() - 1) / 2];
    result.accepted_max = accepted.back();
  }

  // Read-back: now watched for input. Modify() re-arms the edge, so echo
  // that arrived while unwatched is reported at once.
  for (size_t i = 0; i < connections.size(); ++i) {
    ClientConnection& c = connections[i];
    if (!c.open()) continue;
    if (session.loop().Modify(c.fd(), EPOLLIN | EPOLLRDHUP, i) != 0) {
      c.Abandon(ErrorKind::kOther, "epoll_ctl(EPOLL_CTL_MOD) failed");
      session.LogFailure(c);
    } else if (c.outstanding() == 0) {
      ++result.fully_read_back;  // Nothing was accepted, so nothing is owed.
    }
  }
  const EventHandler reading_back = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open() || c.outstanding() == 0) return;
    ClientConnection::ReadOptions read;
    read.peer_may_have_closed = PeerMayHaveClosed(event.events);
    const auto status =
        c.ReadAvailable(session.read_buffer(), session.read_buffer_size(), session.now(), read);
    if (status == ClientConnection::ReadStatus::kFailed) {
      session.LogFailure(c);
    } else if (status == ClientConnection::ReadStatus::kEof && c.outstanding() > 0) {
      c.Abandon(ErrorKind::kClosed, "unexpected EOF: " + std::to_string(c.outstanding()) +
                                        " accepted bytes never came back");
      session.LogFailure(c);
    }
    if (c.open() && c.outstanding() == 0) ++result.fully_read_back;
  };
  auto all_read_back = [&] {
    for (const ClientConnection& c : connections) {
      if (c.open() && c.outstanding() > 0) return false;
    }
    return true;
  };
  Kick(connections, reading_back);
  // What has not come back by then is not an error: only a prefix is owed.
  session.RunUntil(session.RefreshNow() + session.timeout(), all_read_back, reading_back);
  for (ClientConnection& c : connections) {
    if (c.open()) c.CloseWithReset();
  }

  LoadReport report = session.BaseReport(seconds, 0, 0);
  report.slow_readers = result;
  return report;
}

}  // namespace load
}  // namespace echo
