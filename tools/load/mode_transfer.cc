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

#include "tools/load/modes.h"
#include "tools/load/random.h"

namespace echo {
namespace load {
namespace {

// The largest random send or read size: more than the server reads at once
// (its shared buffer is 64 KiB), so partial reads and writes happen too.
constexpr size_t kMaxRandomSize = 64 * 1024;

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

  LoadReport Run() {
    // The measured phase lasts until every connection is done or failed (a
    // connection where nothing moves for --timeout fails, so it ends); the
    // wind-down only finds connections left in a run stopped early.
    LoadReport report =
        RunPhases(kForever, half_close_ ? "the echo and EOF" : "the echo", nullptr);
    if (half_close_) report.half_close = HalfCloseResult{eof_after_full_echo_};
    return report;
  }

 private:
  void Receive(size_t i, uint32_t events) override {
    ClientConnection& c = connections_[i];
    ReadOptions read;
    if (!half_close_) {
      read.sizes = &read_sizes_[i];
      read.max_read = kMaxRandomSize;
    }
    const auto status = c.ReadAvailable(events, read);
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
      c.SendUpTo(total_, kMaxRandomSize, &send_sizes_[i]);
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

}  // namespace

LoadReport RunTransfer(Session& session) { return Transfer(session).Run(); }

}  // namespace load
}  // namespace echo
