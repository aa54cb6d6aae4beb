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
                                   EchoConnection::Options options, Millis now)
    : socket_(std::move(socket)), connection_(options, now) {}

ConnectionDriver::~ConnectionDriver() {
  if (!finished_) socket_->Close();
}

Interest ConnectionDriver::OnReadable(ReadBuffer scratch, Millis now) {
  if (finished_) return {};
  ReadAvailable(scratch, now);
  WriteQueued(now);
  return ReleaseIfClosed();
}

Interest ConnectionDriver::OnWritable(Millis now) {
  if (finished_) return {};
  WriteQueued(now);
  return ReleaseIfClosed();
}

Interest ConnectionDriver::OnTimer(Millis now) {
  if (finished_) return {};
  connection_.OnTimer(now);
  return ReleaseIfClosed();
}

void ConnectionDriver::Abort() {
  if (finished_) return;
  connection_.Abort();
  ReleaseIfClosed();
}

void ConnectionDriver::ReadAvailable(ReadBuffer scratch, Millis now) {
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    const size_t wanted = std::min(scratch.size, connection_.ReadRoom());
    if (wanted == 0) return;
    const IoResult result = socket_->Read(scratch.data, wanted);
    switch (result.status) {
      case IoStatus::kOk:
        // Never more than ReadRoom(), so the connection takes it all.
        connection_.OnData({scratch.data, result.bytes}, now);
        if (result.bytes < wanted) return;  // Kernel buffer drained.
        break;
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

void ConnectionDriver::WriteQueued(Millis now) {
  while (!connection_.closed()) {
    const ByteView pending = connection_.PendingOutput();
    if (pending.empty()) return;
    const IoResult result = socket_->Write(pending);
    switch (result.status) {
      case IoStatus::kOk:
        connection_.OnWritten(result.bytes, now);
        // A short write means the socket buffer is full: wait for writable.
        if (result.bytes < pending.size) return;
        break;
      case IoStatus::kWouldBlock:
        return;
      case IoStatus::kEof:  // Not a write outcome; treat as a failure.
      case IoStatus::kError:
        connection_.OnWriteError(result.error);
        return;
    }
  }
}

Interest ConnectionDriver::ReleaseIfClosed() {
  if (!connection_.closed()) return connection_.interest();
  if (connection_.close_reason() == CloseReason::kPeerFinished) {
    // Send our FIN after the last echoed byte; a failure here changes
    // nothing, the socket is closed either way.
    socket_->ShutdownWrite();
  }
  socket_->Close();
  finished_ = true;
  return {};
}

}  // namespace echo
