// mode_pipelined.cc: bulk and ping-pong, one exchange with a window.
//
// Each connection may have `in_flight` messages of `message_size` bytes
// sent but not yet echoed (ping-pong: one). Whenever echoes complete
// messages, the window slides and the next whole messages go out in one
// send() (they are contiguous in the stream): the wire sees the same bytes
// as one send per message, for fewer system calls on the client's side.

#include <optional>
#include <vector>

#include "tools/load/modes.h"
#include "tools/load/percentiles.h"

namespace echo {
namespace load {
namespace {

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

  LoadReport Run() {
    LoadReport report = RunPhases(session_.duration(), "the echo", OwesEcho);
    if (latency_) report.latency = latency_->Summarize();
    return report;
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
    ReadOptions read;
    if (ping_pong_ && !PeerMayHaveClosed(events)) read.stop_at = c.bytes_sent();
    const auto status = c.ReadAvailable(events, read);
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

}  // namespace

LoadReport RunPipelined(Session& session) { return Pipelined(session).Run(); }

}  // namespace load
}  // namespace echo
