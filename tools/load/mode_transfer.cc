// mode_transfer.cc: integrity and half-close, a fixed transfer per
// connection that must come back whole.
//
// integrity: --bytes per connection, sent in random-sized send()s and read
// in random-sized recv()s (both log-uniform from 1 byte to 64 KiB, seeded
// per connection), every connection at once; done when every byte is back.
// half-close: --bytes sent in large writes, then shutdown(SHUT_WR); done
// when every byte is back followed by EOF. In both, sending and reading
// interleave, so no transfer size can deadlock on full buffers.

#include <vector>

#include "tools/load/mode_support.h"
#include "tools/load/modes.h"
#include "tools/load/random.h"

namespace echo {
namespace load {
namespace {

// The largest random send or read size: more than the server reads at once
// (its shared buffer is 64 KiB), so partial reads and writes happen too.
constexpr size_t kMaxRandomSize = 64 * 1024;

}  // namespace

LoadReport RunTransfer(Session& session) {
  const LoadOptions& options = session.options();
  const bool half_close = options.mode == Mode::kHalfClose;
  const uint64_t total = options.bytes_per_connection;

  std::vector<ClientConnection> connections =
      session.ConnectAll(options.connections, kReadWriteEvents);

  // Per-connection generators, so that a connection's sizes do not depend
  // on how the others' events happened to interleave.
  std::vector<Random> send_sizes;
  std::vector<Random> read_sizes;
  for (size_t i = 0; i < connections.size(); ++i) {
    send_sizes.emplace_back(Mix64(options.seed ^ Mix64(2 * i)));
    read_sizes.emplace_back(Mix64(options.seed ^ Mix64(2 * i + 1)));
  }
  uint64_t eof_after_full_echo = 0;

  auto receive = [&](size_t i, uint32_t events) {
    ClientConnection& c = connections[i];
    ClientConnection::ReadOptions read;
    if (!half_close) read.sizes = &read_sizes[i];
    read.peer_may_have_closed = PeerMayHaveClosed(events);
    const auto status = c.ReadAvailable(
        session.read_buffer(), half_close ? session.read_buffer_size() : kMaxRandomSize,
        session.now(), read);
    if (status == ClientConnection::ReadStatus::kFailed) {
      session.LogFailure(c);
      return;
    }
    const bool complete = c.bytes_verified() == total;
    if (status == ClientConnection::ReadStatus::kEof) {
      if (half_close && complete) {
        ++eof_after_full_echo;
        c.CloseGracefully();
        return;
      }
      c.Abandon(ErrorKind::kClosed,
                "unexpected EOF: " + std::to_string(total - c.bytes_verified()) + " of " +
                    std::to_string(total) + " bytes never came back");
      session.LogFailure(c);
      return;
    }
    if (!half_close && complete) c.CloseGracefully();
  };

  auto send_more = [&](size_t i) {
    ClientConnection& c = connections[i];
    if (c.write_shut() || c.bytes_sent() >= total) return;
    const auto status = half_close
        ? c.SendUpTo(total, PatternTable::kPeriod, nullptr, session.now())
        : c.SendUpTo(total, kMaxRandomSize, &send_sizes[i], session.now());
    if (status == ClientConnection::SendStatus::kFailed) {
      session.LogFailure(c);
      return;
    }
    if (half_close && status == ClientConnection::SendStatus::kReachedLimit &&
        !c.ShutdownWrite()) {
      session.LogFailure(c);
    }
  };

  const EventHandler on_event = [&](const ReadyEvent& event) {
    const size_t i = event.tag;
    if (!connections[i].open()) return;
    if (event.events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) receive(i, event.events);
    if (connections[i].open()) send_more(i);
  };

  // The measured phase lasts until every connection is done or failed; a
  // connection where nothing moves for --timeout fails, so it ends.
  session.StartMeasuring();
  const Nanos start = session.now();
  Kick(connections, on_event);
  session.RunUntil(
      INT64_MAX, [&] { return session.totals().open == 0; }, on_event, [&] {
        AbandonStalled(
            session, connections, [](size_t) { return true; },
            half_close ? "the echo and EOF" : "the echo");
      });
  const double seconds = SecondsBetween(start, session.now());

  LoadReport report = session.BaseReport(seconds, session.totals().bytes_verified, 0);
  if (half_close) report.half_close = HalfCloseResult{eof_after_full_echo};
  return report;
}

}  // namespace load
}  // namespace echo
