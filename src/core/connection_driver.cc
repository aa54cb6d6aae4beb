#include "src/core/connection_driver.h"

#include <algorithm>
#include <utility>

namespace echo {
namespace {

// Reads per readiness event: enough to drain a busy socket in one turn, few
// enough that one fast sender cannot starve the other connections.
constexpr int kMaxReadsPerEvent = 8;

}  // namespace

ConnectionDriver::ConnectionDriver(std::unique_ptr<Socket> socket,
                                   EchoConnection::Options options, Instant now)
    : socket_(std::move(socket)), connection_(options, now) {}

ConnectionDriver::~ConnectionDriver() {
  if (!finished_) socket_->Close();
}

Interest ConnectionDriver::interest() const {
  if (lingering_) return {true, false};
  return connection_.interest();
}

Interest ConnectionDriver::OnReadable(ReadBuffer scratch, Instant now) {
  if (finished_) return {};
  if (lingering_) {
    DiscardUntilEof(scratch, now);
    return interest();
  }
  socket_full_ = false;
  ReadAvailable(scratch, now);
  // A socket that just refused bytes will refuse more: wait for writable.
  if (!socket_full_) WriteQueued(now);
  return ReleaseIfClosed(now);
}

Interest ConnectionDriver::OnWritable(Instant now) {
  if (finished_) return {};
  if (lingering_) return interest();
  socket_full_ = false;
  WriteQueued(now);
  return ReleaseIfClosed(now);
}

Interest ConnectionDriver::OnTimer(Instant now) {
  if (finished_) return {};
  if (lingering_) {
    if (now >= linger_deadline_) CloseSocket();
    return interest();
  }
  connection_.OnTimer(now);
  return ReleaseIfClosed(now);
}

std::optional<Instant> ConnectionDriver::Deadline() const {
  if (finished_) return std::nullopt;
  if (lingering_) return linger_deadline_;
  return connection_.TimerDeadline();
}

Interest ConnectionDriver::Drain(Instant now) {
  if (finished_ || lingering_) return interest();
  connection_.Drain();
  return ReleaseIfClosed(now);
}

void ConnectionDriver::Abort() {
  if (finished_) return;
  if (lingering_) {
    CloseSocket();
    return;
  }
  // An aborted connection is not closed gracefully: no FIN, no linger.
  connection_.Abort();
  CloseSocket();
}

// Input after a drain is not echoed: read it away until the peer's EOF, so
// that the final close finds no unread bytes and sends a FIN, not a reset.
void ConnectionDriver::DiscardUntilEof(ReadBuffer scratch, Instant now) {
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    const IoResult result = socket_->Read(scratch.data, scratch.size);
    if (result.status == IoStatus::kWouldBlock) return;
    if (result.status != IoStatus::kOk) {  // EOF or error: done.
      CloseSocket();
      return;
    }
    linger_deadline_ = now + kLingerTimeout;
  }
}

void ConnectionDriver::CloseSocket() {
  socket_->Close();
  lingering_ = false;
  finished_ = true;
}

void ConnectionDriver::ReadAvailable(ReadBuffer scratch, Instant now) {
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    const size_t wanted = std::min(scratch.size, connection_.ReadRoom());
    if (wanted == 0) return;
    const IoResult result = socket_->Read(scratch.data, wanted);
    switch (result.status) {
      case IoStatus::kOk: {
        const ByteView data{scratch.data, result.bytes};
        if (connection_.queued() == 0 && !socket_full_) {
          const size_t echoed = WriteFrom(data);
          connection_.OnDataEchoedDirectly(data, echoed, now);
          if (connection_.closed()) return;  // The write failed.
        } else {
          // Never more than ReadRoom() (see `wanted`): it takes them all,
          // and no rest is left in `scratch` to keep.
          static_cast<void>(connection_.OnData(data, now));
        }
        if (result.bytes < wanted) return;  // Kernel buffer drained.
        break;
      }
      case IoStatus::kWouldBlock:
        return;
      case IoStatus::kEof:
        connection_.OnPeerEof();
        return;
      case IoStatus::kError:
        connection_.OnReadError(result.error);
        return;
    }
  }
}

void ConnectionDriver::WriteQueued(Instant now) {
  while (!connection_.closed()) {
    const ByteView pending = connection_.PendingOutput();
    if (pending.empty()) return;
    const size_t written = WriteFrom(pending);
    connection_.OnWritten(written, now);
    if (socket_full_) return;
  }
}

// Writes a prefix of `bytes` until the socket is full (then sets
// socket_full_); returns its length. A failed write closes the connection
// and also stops writing for this event.
size_t ConnectionDriver::WriteFrom(ByteView bytes) {
  size_t written = 0;
  while (written < bytes.size) {
    const size_t offered = bytes.size - written;
    const IoResult result = socket_->Write({bytes.data + written, offered});
    switch (result.status) {
      case IoStatus::kOk:
        written += result.bytes;
        // Short write: the socket buffer is full.
        if (result.bytes < offered) {
          socket_full_ = true;
          return written;
        }
        break;
      case IoStatus::kWouldBlock:
        socket_full_ = true;
        return written;
      case IoStatus::kEof:  // Not a write outcome; treat as a failure.
      case IoStatus::kError:
        connection_.OnWriteError(result.error);
        socket_full_ = true;
        return written;
    }
  }
  return written;
}

Interest ConnectionDriver::ReleaseIfClosed(Instant now) {
  if (!connection_.closed()) return connection_.interest();
  if (IsGracefulClose(connection_.close_reason())) {
    // Send our FIN after the last echoed byte. If that fails the peer is
    // gone, and there is nothing to linger for.
    const bool fin_sent = socket_->ShutdownWrite().ok();
    if (fin_sent && connection_.close_reason() == CloseReason::kDrained) {
      lingering_ = true;
      linger_deadline_ = now + kLingerTimeout;
      return interest();
    }
  }
  CloseSocket();
  return {};
}

}  // namespace echo
