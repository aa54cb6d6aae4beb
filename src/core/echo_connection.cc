#include "src/core/echo_connection.h"

#include <algorithm>
#include <cstdint>

namespace echo {
namespace {

// A timeout that is not positive means none: it would expire at once.
std::optional<Duration> PositiveOrNever(std::optional<Duration> timeout) {
  if (timeout && *timeout > Duration::zero()) return timeout;
  return std::nullopt;
}

}  // namespace

const char* CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kNone: return "open";
    case CloseReason::kPeerFinished: return "peer-finished";
    case CloseReason::kPeerReset: return "peer-reset";
    case CloseReason::kReadFailed: return "read-failed";
    case CloseReason::kWriteFailed: return "write-failed";
    case CloseReason::kAborted: return "aborted";
    case CloseReason::kSendTimeout: return "send-timeout";
    case CloseReason::kIdleTimeout: return "idle-timeout";
    case CloseReason::kDrained: return "drained";
  }
  return "unknown";
}

EchoConnection::EchoConnection(Options options, Instant now)
    : queue_(options.watermarks),
      idle_timeout_(PositiveOrNever(options.idle_timeout)),
      send_timeout_(PositiveOrNever(options.send_timeout)),
      last_activity_(now) {}

size_t EchoConnection::ReadRoom() const {
  if (closed() || peer_eof_ || draining_) return 0;
  return queue_.room();
}

size_t EchoConnection::OnData(ByteView bytes, Instant now) {
  const size_t accepted = std::min(bytes.size, ReadRoom());
  if (accepted == 0) return 0;
  if (queue_.empty()) last_write_ = now;  // Output starts waiting now.
  queue_.Append({bytes.data, accepted});
  bytes_received_ += accepted;
  last_activity_ = now;
  return accepted;
}

void EchoConnection::OnDataEchoedDirectly(ByteView bytes, size_t echoed,
                                          Instant now) {
  if (bytes.empty()) return;
  echoed = std::min(echoed, bytes.size);
  if (closed()) {
    bytes_received_ += bytes.size;
    bytes_sent_ += echoed;
    return;
  }
  const size_t rest = std::min(bytes.size - echoed, ReadRoom());
  if (rest > 0) last_write_ = now;  // Written now, or starts waiting now.
  queue_.Append({bytes.data + echoed, rest});
  bytes_received_ += echoed + rest;
  bytes_sent_ += echoed;
  last_activity_ = now;
}

void EchoConnection::OnPeerEof() {
  if (closed()) return;
  peer_eof_ = true;
  FinishIfFlushed();
}

void EchoConnection::OnReadError(IoError error) {
  if (closed()) return;
  Close(error == IoError::kConnectionReset ? CloseReason::kPeerReset
                                           : CloseReason::kReadFailed);
}

void EchoConnection::OnWriteError(IoError error) {
  if (closed()) return;
  Close(error == IoError::kConnectionReset ? CloseReason::kPeerReset
                                           : CloseReason::kWriteFailed);
}

void EchoConnection::Drain() {
  if (closed()) return;
  draining_ = true;
  FinishIfFlushed();
}

void EchoConnection::Abort() {
  if (!closed()) Close(CloseReason::kAborted);
}

void EchoConnection::OnWritten(size_t count, Instant now) {
  if (closed()) return;
  count = std::min(count, queue_.size());
  if (count > 0) last_activity_ = last_write_ = now;
  queue_.Consume(count);
  bytes_sent_ += count;
  FinishIfFlushed();
}

// Once no more input will come (peer EOF or draining), an empty queue means
// the connection has done all it owes.
void EchoConnection::FinishIfFlushed() {
  if (closed() || !queue_.empty()) return;
  if (peer_eof_) {
    Close(CloseReason::kPeerFinished);
  } else if (draining_) {
    Close(CloseReason::kDrained);
  }
}

std::optional<Instant> EchoConnection::IdleDeadline() const {
  if (closed() || !idle_timeout_) return std::nullopt;
  return last_activity_ + *idle_timeout_;
}

std::optional<Instant> EchoConnection::SendDeadline() const {
  if (closed() || !send_timeout_ || queue_.empty()) return std::nullopt;
  return last_write_ + *send_timeout_;
}

std::optional<Instant> EchoConnection::TimerDeadline() const {
  return Earlier(IdleDeadline(), SendDeadline());
}

void EchoConnection::OnTimer(Instant now) {
  const std::optional<Instant> send = SendDeadline();
  const std::optional<Instant> idle = IdleDeadline();
  if (send && now >= *send) {
    Close(CloseReason::kSendTimeout);
  } else if (idle && now >= *idle) {
    Close(CloseReason::kIdleTimeout);
  }
}

Interest EchoConnection::interest() const {
  if (closed()) return {};
  return {ReadRoom() > 0, !queue_.empty()};
}

void EchoConnection::Close(CloseReason reason) {
  reason_ = reason;
  queue_.Clear();
}

}  // namespace echo
