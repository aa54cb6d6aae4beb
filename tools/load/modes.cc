// modes.cc: the seven ways echo_load exercises a server, each written as its
// phases in order (connect, the measured phase, the wind-down) over a
// Session. Related modes share one class: bulk and ping-pong are one
// pipelined exchange, integrity and half-close one fixed-size transfer.

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/load/percentiles.h"
#include "tools/load/session.h"

namespace echo {
namespace load {
namespace {

constexpr uint32_t kReadWriteEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;

bool AllEchoed(const Connections& connections) {
  return std::none_of(connections.begin(), connections.end(),
                      [](const ClientConnection& c) { return c.open() && OwesEcho(c); });
}

// The modes that send and read on every connection and must get back every
// byte they sent (bulk, ping-pong, integrity, half-close): a subclass says
// how one connection receives and sends; RunPhases() does the rest.
class EchoExchange {
 public:
  virtual ~EchoExchange() = default;

 protected:
  explicit EchoExchange(Session& session)
      : session_(session),
        connections_(session.ConnectAll(session.options().connections, kReadWriteEvents)) {}

  // The measured phase for `length` (a connection for which `waiting`,
  // null: any, holds and where nothing moves for the timeout fails as
  // stalled waiting for `what`), then, without sending, until no open
  // connection owes an echo or the timeout has passed: those still owing
  // are stalled errors, the others are closed cleanly.
  void RunPhases(Nanos length, const std::string& what, bool (*waiting)(const ClientConnection&)) {
    const EventHandler on_event = [this](const ReadyEvent& event) { OnEvent(event); };
    const auto abandon_stalled = [this](const std::string& waiting_for,
                                        bool (*owing)(const ClientConnection&)) {
      for (ClientConnection& c : connections_) {
        if (c.open() && (owing == nullptr || owing(c))) {
          c.AbandonIfStalled(session_.timeout(), waiting_for);
        }
      }
    };
    session_.Measure(connections_, length, on_event, [&] { abandon_stalled(what, waiting); });
    // Wind-down, not measured: a connection that owes nothing waits for the
    // others and is not stalled.
    sending_ = false;
    session_.RunPhase(
        connections_, session_.timeout() + Session::kTickInterval,
        [this] { return AllEchoed(connections_); }, on_event,
        [&] { abandon_stalled("the echo", OwesEcho); });
    for (ClientConnection& c : connections_) {
      if (c.open() && OwesEcho(c)) {
        c.Abandon(ErrorKind::kStalled,
                  "the echo did not complete within the timeout after the run");
      }
      if (c.open()) c.CloseGracefully();
    }
  }

  // On a readable event (EPOLLERR, EPOLLHUP too) of open connection `i`.
  virtual void Receive(size_t i, uint32_t events) = 0;
  // After every event of open connection `i` until sending stops: reading
  // may have made room to send.
  virtual void Send(size_t i) = 0;

  Session& session_;
  Connections connections_;

 private:
  void OnEvent(const ReadyEvent& event) {
    const size_t i = event.tag;
    if (!connections_[i].open()) return;
    if (event.events & kReadableEvents) Receive(i, event.events);
    if (sending_ && connections_[i].open()) Send(i);
  }

  bool sending_ = true;
};

// bulk and ping-pong: each connection may have `in_flight` messages sent but
// not yet echoed (ping-pong: one). As echoes complete messages, the window
// slides and the next whole messages go out in one send(), as they are
// contiguous in the stream: the same bytes on the wire, fewer system calls.

class Pipelined : public EchoExchange {
 public:
  explicit Pipelined(Session& session)
      : EchoExchange(session),
        ping_pong_(session.options().mode == Mode::kPingPong),
        message_size_(session.options().message_size),
        window_(ping_pong_ ? 1 : session.options().in_flight),
        exchanges_(connections_.size()) {
    if (ping_pong_) latency_.emplace(LatencyRecorder::kDefaultCapacity, session.options().seed);
  }

  void Run(LoadReport& report) {
    RunPhases(session_.duration(), "the echo", OwesEcho);
    if (latency_) report.latency = latency_->Summarize();
  }

 private:
  struct Exchange {
    uint64_t messages_done = 0;  // Completely echoed and verified.
    Nanos message_started = 0;   // ping-pong: when the current one was sent.
  };

  void Send(size_t i) override {
    ClientConnection& c = connections_[i];
    Exchange& x = exchanges_[i];
    const uint64_t limit = (x.messages_done + window_) * message_size_;
    if (c.bytes_sent() >= limit) return;
    // Timed from just before the first byte leaves to just after the last
    // byte of its echo is verified: what a client of the server would see.
    if (ping_pong_ && c.outstanding() == 0) x.message_started = MonotonicNow();
    c.SendUpTo(limit);
  }

  void Receive(size_t i, uint32_t events) override {
    ClientConnection& c = connections_[i];
    Exchange& x = exchanges_[i];
    // ping-pong stops reading at the end of the message, so the time is
    // taken right after its last byte rather than after one more recv();
    // not when the peer may have closed, whose EOF must be read now.
    const auto status = c.ReadAvailable(
        events, ping_pong_ && !PeerMayHaveClosed(events) ? c.bytes_sent() : kUnlimited);
    if (status == ClientConnection::ReadStatus::kFailed) return;
    const uint64_t done = c.bytes_verified() / message_size_;
    if (done > x.messages_done) {
      if (ping_pong_) latency_->Record(static_cast<uint64_t>(MonotonicNow() - x.message_started));
      session_.totals().messages += done - x.messages_done;
      x.messages_done = done;
    }
    if (status == ClientConnection::ReadStatus::kEof) {
      c.Abandon(ErrorKind::kClosed, "unexpected EOF: the server closed the connection");
    }
  }

  const bool ping_pong_;
  const uint64_t message_size_;
  const uint64_t window_;
  std::vector<Exchange> exchanges_;
  std::optional<LatencyRecorder> latency_;
};

// integrity: --bytes per connection in random-sized send()s and recv()s
// (log-uniform up to kMaxRandomSize, seeded per connection); done when every
// byte is back. half-close: --bytes in large writes, then shutdown(SHUT_WR);
// done when every byte is back, then EOF. Sending and reading interleave, so
// no transfer size can deadlock on full buffers.

class Transfer : public EchoExchange {
 public:
  explicit Transfer(Session& session)
      : EchoExchange(session),
        half_close_(session.options().mode == Mode::kHalfClose),
        total_(session.options().bytes_per_connection) {
    // Per-connection generators, so that a connection's sizes do not depend
    // on how the others' events happened to interleave.
    const uint64_t seed = session.options().seed;
    for (size_t i = 0; i < connections_.size(); ++i) {
      send_sizes_.emplace_back(Mix64(seed ^ Mix64(2 * i)));
      read_sizes_.emplace_back(Mix64(seed ^ Mix64(2 * i + 1)));
    }
  }

  void Run(LoadReport& report) {
    // Until every connection is done or failed (stalled ones fail); the
    // wind-down only finds connections left in a run stopped early.
    RunPhases(kForever, half_close_ ? "the echo and EOF" : "the echo", nullptr);
    if (half_close_) report.half_close = HalfCloseResult{eof_after_full_echo_};
  }

 private:
  void Receive(size_t i, uint32_t events) override {
    ClientConnection& c = connections_[i];
    const auto status =
        c.ReadAvailable(events, kUnlimited, half_close_ ? nullptr : &read_sizes_[i]);
    if (status == ClientConnection::ReadStatus::kFailed) return;
    const bool complete = c.bytes_verified() == total_;
    if (status == ClientConnection::ReadStatus::kEof) {
      if (half_close_ && complete) {
        ++eof_after_full_echo_;
        c.CloseGracefully();
        return;
      }
      c.Abandon(ErrorKind::kClosed,
                "unexpected EOF: " + std::to_string(total_ - c.bytes_verified()) + " of " +
                    std::to_string(total_) + " bytes never came back");
      return;
    }
    if (!half_close_ && complete) c.CloseGracefully();
  }

  void Send(size_t i) override {
    ClientConnection& c = connections_[i];
    if (c.write_shut() || c.bytes_sent() >= total_) return;
    if (!half_close_) {
      c.SendUpTo(total_, &send_sizes_[i]);
    } else if (c.SendUpTo(total_) == ClientConnection::SendStatus::kReachedLimit) {
      c.ShutdownWrite();
    }
  }

  const bool half_close_;
  const uint64_t total_;
  std::vector<Random> send_sizes_;
  std::vector<Random> read_sizes_;
  uint64_t eof_after_full_echo_ = 0;
};

// slow-readers: for --duration each connection sends what its socket accepts
// of --bytes and reads nothing (its socket is not even watched for input); a
// server that bounds its output stops reading from such a client, so the
// bytes accepted per connection show what it let through. Then each reads
// back what it can within --timeout, verified as a prefix, and resets.

// The bytes each connection that came up got accepted, and how many were
// still blocked at the end.
SlowReaderResult Accepted(const Connections& connections, const std::vector<bool>& connected,
                          uint64_t total) {
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
  return result;
}

// Counts the connections that get every accepted byte back within the
// timeout; the rest is not an error (only a prefix is owed).
void ReadBack(Session& session, Connections& connections, SlowReaderResult* result) {
  // Rewatch() re-arms the edge: echo that arrived while unwatched is reported.
  for (size_t i = 0; i < connections.size(); ++i) {
    ClientConnection& c = connections[i];
    if (c.open() && c.Rewatch(EPOLLIN | EPOLLRDHUP, i) && !OwesEcho(c)) {
      ++result->fully_read_back;  // Nothing was accepted, so nothing is owed.
    }
  }
  const EventHandler reading_back = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open() || !OwesEcho(c)) return;
    if (c.ReadAvailable(event.events) == ClientConnection::ReadStatus::kEof && OwesEcho(c)) {
      c.Abandon(ErrorKind::kClosed, "unexpected EOF: " + std::to_string(c.outstanding()) +
                                        " accepted bytes never came back");
    }
    if (c.open() && !OwesEcho(c)) ++result->fully_read_back;
  };
  session.RunPhase(
      connections, session.timeout(), [&] { return AllEchoed(connections); }, reading_back);
  for (ClientConnection& c : connections) {
    if (c.open()) c.CloseWithReset();
  }
}

void RunSlowReaders(Session& session, LoadReport& report) {
  const uint64_t total = session.options().bytes_per_connection;
  // EPOLLRDHUP still tells us if the server closes the connection on us.
  Connections connections =
      session.ConnectAll(session.options().connections, EPOLLOUT | EPOLLRDHUP);
  std::vector<bool> connected(connections.size());
  for (size_t i = 0; i < connections.size(); ++i) connected[i] = connections[i].open();

  const EventHandler while_not_reading = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open()) return;
    if (PeerMayHaveClosed(event.events)) {
      c.AbandonWithSocketError("the server closed the connection of a client not reading");
      return;
    }
    c.SendUpTo(total);  // Keeps trying on every EPOLLOUT until time runs out.
  };
  // The whole --duration even if all was sent early: the server must hold
  // (or refuse) the unread echo that long. Kicked with EPOLLOUT alone:
  // kAnyEvent's EPOLLRDHUP would read as the server closing.
  session.Measure(connections, session.duration(), while_not_reading, nullptr, EPOLLOUT);
  report.slow_readers = Accepted(connections, connected, total);
  ReadBack(session, connections, &*report.slow_readers);
}

// churn: up to --connections slots each run one short connection after
// another for --duration: connect, send one message, then either reset at
// once (odd streams) or read the whole echo, shut down the sending side and
// close after the server's EOF (even streams).

// Where a slot's connection is once it is open.
enum class Step { kSend, kReadEcho, kAwaitEof };

struct Slot {
  ClientConnection connection;
  // Bumped for every new connection in the slot; events carry it in their
  // tag so that one still queued for the slot's previous connection (in the
  // same epoll batch) is recognised and dropped.
  uint32_t generation = 0;
  Step step = Step::kSend;
  bool reset_after_send = false;
};

class Churn {
 public:
  explicit Churn(Session& session)
      : session_(session),
        message_size_(session.options().message_size),
        slots_(session.options().connections) {}

  void Run(LoadReport& report) {
    const EventHandler on_event = [this](const ReadyEvent& event) { OnEvent(event); };
    const std::function<void()> on_tick = [this] { OnTick(); };
    for (size_t i = 0; i < slots_.size(); ++i) Refill(i);
    Connections none;  // The slots' connections come and go.
    session_.Measure(none, session_.duration(), on_event, on_tick, kAnyEvent, [] { return false; });

    // Wind-down: no new connections; those under way finish or time out.
    opening_ = false;
    const auto none_active = [this] {
      return std::none_of(slots_.begin(), slots_.end(),
                          [](const Slot& slot) { return slot.connection.active(); });
    };
    session_.RunUntil(session_.now() + session_.timeout() + Session::kTickInterval, none_active,
                      on_event, on_tick);
    for (Slot& slot : slots_) {
      if (!slot.connection.active()) continue;
      slot.connection.Abandon(ErrorKind::kStalled,
                              "did not finish within the timeout after the run");
    }
    report.churn = result_;
  }

 private:
  // Moves the slot's connection along as far as its socket allows now.
  void Advance(Slot& slot, uint32_t events) {
    ClientConnection& c = slot.connection;
    if (slot.step == Step::kSend) {
      if (c.SendUpTo(message_size_) != ClientConnection::SendStatus::kReachedLimit) return;
      if (slot.reset_after_send) {
        c.CloseWithReset();
        ++result_.closed_by_reset;
        return;
      }
      slot.step = Step::kReadEcho;
    }
    const auto status = c.ReadAvailable(events);
    if (status == ClientConnection::ReadStatus::kFailed) return;
    if (slot.step == Step::kReadEcho) {
      if (status == ClientConnection::ReadStatus::kEof) {
        c.Abandon(ErrorKind::kClosed, "unexpected EOF before the whole echo came back");
      } else if (c.bytes_verified() >= message_size_ && c.ShutdownWrite()) {
        slot.step = Step::kAwaitEof;  // The server's EOF comes as a new edge.
      }
      return;
    }
    if (status == ClientConnection::ReadStatus::kEof) {  // kAwaitEof
      c.CloseGracefully();
      ++result_.verified;
      ++session_.totals().messages;
    }
  }

  // Starts the slot's next connection.
  void OpenNext(size_t index) {
    Slot& slot = slots_[index];
    ++slot.generation;
    const uint64_t stream = next_stream_++;
    slot.step = Step::kSend;
    slot.reset_after_send = stream % 2 == 1;
    ClientConnection& c = slot.connection;
    const uint64_t tag = (uint64_t{slot.generation} << 32) | static_cast<uint32_t>(index);
    c.StartConnect(&session_.run(), stream, kReadWriteEvents, tag);
    if (c.open()) {
      ++result_.opened;
      Advance(slot, kAnyEvent);
    }
  }

  // A slot whose connection ended gets its next one at once, unless the run
  // is winding down. Bounded: a connect that keeps failing at once (e.g.
  // out of ports) is retried on the next tick instead of spinning here.
  void Refill(size_t index) {
    for (int attempt = 0; attempt < 4 && opening_ && !slots_[index].connection.active();
         ++attempt) {
      OpenNext(index);
    }
  }

  void OnEvent(const ReadyEvent& event) {
    const size_t index = static_cast<uint32_t>(event.tag);
    Slot& slot = slots_[index];
    if (static_cast<uint32_t>(event.tag >> 32) != slot.generation) return;  // Stale.
    ClientConnection& c = slot.connection;
    if (c.state() == ClientConnection::State::kConnecting) {
      c.FinishConnect();
      if (c.open()) ++result_.opened;
    }
    if (c.open()) Advance(slot, event.events);
    Refill(index);
  }

  void OnTick() {
    for (size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].connection.AbandonIfStalled(session_.timeout(), "the echo or the EOF");
      Refill(i);
    }
  }

  Session& session_;
  const uint64_t message_size_;
  std::vector<Slot> slots_;
  ChurnResult result_;
  uint64_t next_stream_ = 0;
  bool opening_ = true;
};

// idle: --connections watched for --duration without sending (any EOF, reset
// or byte from the server is an error); then each one still open sends one
// message and must get it back within --timeout: it was still served.

void RunIdle(Session& session, LoadReport& report) {
  const uint64_t message_size = session.options().message_size;
  IdleResult& result = report.idle.emplace();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) result.fd_limit = limit.rlim_cur;
  Connections connections = session.ConnectAll(session.options().connections, kReadWriteEvents);

  const EventHandler while_idle = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open() || !(event.events & kReadableEvents)) return;
    // Nothing was sent, so any byte that arrives fails verification as
    // "beyond everything sent"; a reset fails recv().
    if (c.ReadAvailable(event.events) == ClientConnection::ReadStatus::kEof) {
      c.Abandon(ErrorKind::kClosed,
                StringPrintf("the server closed the connection after %.1f s idle",
                             SecondsBetween(c.last_progress(), session.now())));
    }
  };
  session.Measure(connections, session.duration(), while_idle);
  result.open_at_end = session.totals().open;

  // Liveness: one message on each connection still open.
  const EventHandler probing = [&](const ReadyEvent& event) {
    ClientConnection& c = connections[event.tag];
    if (!c.open() || c.SendUpTo(message_size) == ClientConnection::SendStatus::kFailed) return;
    const auto status = c.ReadAvailable(event.events);
    if (status == ClientConnection::ReadStatus::kFailed) return;
    if (c.bytes_verified() == message_size) {
      ++result.alive;
      c.CloseGracefully();
    } else if (status == ClientConnection::ReadStatus::kEof) {
      c.Abandon(ErrorKind::kClosed, "unexpected EOF before the liveness message's echo");
    }
  };
  session.RunPhase(connections, session.timeout(), nullptr, probing);
  for (ClientConnection& c : connections) {
    if (c.open()) {
      c.Abandon(ErrorKind::kStalled, "no echo of the liveness message within the timeout");
    }
  }
}

template <typename ModeClass>
void Run(Session& session, LoadReport& report) {
  ModeClass(session).Run(report);
}

}  // namespace

LoadReport RunLoad(Session& session) {
  // In the order of Mode.
  constexpr void (*kRuns[])(Session&, LoadReport&) = {
      Run<Pipelined>, Run<Pipelined>, Run<Transfer>, Run<Transfer>,
      RunSlowReaders, Run<Churn>,     RunIdle};
  LoadReport report;
  kRuns[static_cast<size_t>(session.options().mode)](session, report);
  session.FillReport(report);
  return report;
}

}  // namespace load
}  // namespace echo
