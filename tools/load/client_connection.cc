#include "tools/load/client_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace echo {
namespace load {
namespace {

bool IsTransient(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

std::string ErrnoText(int error) {
  return std::string(std::strerror(error)) + " (errno " + std::to_string(error) + ")";
}

std::string Hex(uint8_t byte) {
  char text[8];
  std::snprintf(text, sizeof(text), "0x%02x", byte);
  return text;
}

}  // namespace

bool ClientConnection::StartConnect(EventLoop* loop, const SocketAddress& server,
                                    const PatternTable* pattern, uint64_t stream_id,
                                    uint32_t events, uint64_t tag,
                                    TrafficTotals* totals, Nanos now) {
  fd_.reset();
  state_ = State::kConnecting;
  pattern_ = StreamPattern(pattern, stream_id);
  stream_id_ = stream_id;
  bytes_sent_ = 0;
  bytes_verified_ = 0;
  write_shut_ = false;
  last_progress_ = now;
  totals_ = totals;
  server_ = &server;
  error_.clear();

  fd_.reset(::socket(server.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) {
    Abandon(ErrorKind::kOther, "socket(): " + ErrnoText(errno));
    return false;
  }
  // Messages are sent whole and at once; Nagle would hold back a small
  // ping-pong message until the previous echo's ACK and inflate latency.
  const int on = 1;
  ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  if (const int error = loop->Add(fd_.get(), events, tag); error != 0) {
    Abandon(ErrorKind::kOther, "epoll_ctl(): " + ErrnoText(error));
    return false;
  }
  if (::connect(fd_.get(), server.get(), server.length()) == 0) {
    state_ = State::kOpen;
    ++totals_->open;
    return true;
  }
  if (errno == EINPROGRESS || errno == EINTR) return true;
  Abandon(ErrorKind::kOther, "connect to " + server.ToString() + ": " + ErrnoText(errno));
  return false;
}

bool ClientConnection::FinishConnect(Nanos now) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error == 0) {
    // SO_ERROR is also 0 while the handshake is still under way (a spurious
    // wakeup); only a peer address proves the connection is up.
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof(peer);
    if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) {
      return true;  // Still connecting: state() stays kConnecting.
    }
    state_ = State::kOpen;
    last_progress_ = now;
    ++totals_->open;
    return true;
  }
  Abandon(ErrorKind::kOther, "connect to " + server_->ToString() + ": " + ErrnoText(error));
  return false;
}

ClientConnection::SendStatus ClientConnection::SendUpTo(uint64_t limit, size_t max_send,
                                                        Random* send_sizes, Nanos now) {
  max_send = std::clamp<size_t>(max_send, 1, PatternTable::kPeriod);
  while (bytes_sent_ < limit) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(limit - bytes_sent_, max_send));
    if (send_sizes != nullptr) {
      want = static_cast<size_t>(std::min<uint64_t>(want, send_sizes->LogUniformSize(max_send)));
    }
    const ssize_t n = ::send(fd_.get(), pattern_.Span(bytes_sent_), want, MSG_NOSIGNAL);
    if (n > 0) {
      bytes_sent_ += static_cast<uint64_t>(n);
      totals_->bytes_sent += static_cast<uint64_t>(n);
      last_progress_ = now;
      if (static_cast<size_t>(n) < want) return SendStatus::kBlocked;  // Full.
      continue;
    }
    if (n < 0 && IsTransient(errno)) {
      if (errno == EINTR) continue;
      return SendStatus::kBlocked;
    }
    Abandon(ErrorKind::kClosed,
            std::string("send(): ") + (n == 0 ? "sent nothing" : ErrnoText(errno)));
    return SendStatus::kFailed;
  }
  return SendStatus::kReachedLimit;
}

ClientConnection::ReadStatus ClientConnection::ReadAvailable(uint8_t* buffer,
                                                             size_t buffer_size, Nanos now,
                                                             const ReadOptions& options) {
  while (bytes_verified_ < options.stop_at) {
    size_t want = buffer_size;
    if (options.sizes != nullptr) want = options.sizes->LogUniformSize(buffer_size);
    const ssize_t n = ::recv(fd_.get(), buffer, want, 0);
    if (n > 0) {
      const auto got = static_cast<size_t>(n);
      // Bytes within what was sent must match it; anything beyond was never
      // sent and cannot be an echo.
      const size_t echoable = static_cast<size_t>(std::min<uint64_t>(got, outstanding()));
      const size_t bad = pattern_.FirstMismatch(bytes_verified_, buffer, echoable);
      if (bad < echoable) {
        bytes_verified_ += bad;
        totals_->bytes_verified += bad;
        const uint64_t at = bytes_verified_;
        Abandon(ErrorKind::kWrongData, "wrong byte at stream offset " + std::to_string(at) +
                                           ": got " + Hex(buffer[bad]) + ", expected " +
                                           Hex(pattern_.ByteAt(at)));
        return ReadStatus::kFailed;
      }
      bytes_verified_ += echoable;
      totals_->bytes_verified += echoable;
      last_progress_ = now;
      if (echoable < got) {
        Abandon(ErrorKind::kWrongData,
                std::to_string(got - echoable) +
                    " byte(s) received beyond everything sent (never sent, so not an echo)");
        return ReadStatus::kFailed;
      }
      if (got < want && !options.peer_may_have_closed) return ReadStatus::kDrained;
      continue;
    }
    if (n == 0) return ReadStatus::kEof;
    if (errno == EINTR) continue;
    if (IsTransient(errno)) return ReadStatus::kDrained;
    Abandon(ErrorKind::kClosed, "recv(): " + ErrnoText(errno));
    return ReadStatus::kFailed;
  }
  return ReadStatus::kStopped;
}

bool ClientConnection::ShutdownWrite() {
  if (::shutdown(fd_.get(), SHUT_WR) != 0) {
    Abandon(ErrorKind::kClosed, "shutdown(SHUT_WR): " + ErrnoText(errno));
    return false;
  }
  write_shut_ = true;
  return true;
}

void ClientConnection::CloseGracefully() { Close(/*reset=*/false); }

void ClientConnection::CloseWithReset() { Close(/*reset=*/true); }

void ClientConnection::Close(bool reset) {
  if (!fd_.valid()) {
    state_ = State::kClosed;
    return;
  }
  if (reset) {
    const linger abort_on_close{1, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
  }
  fd_.reset();
  if (state_ == State::kOpen) --totals_->open;
  state_ = State::kClosed;
}

void ClientConnection::Abandon(ErrorKind kind, const std::string& what) {
  error_ = Describe(what);
  error_kind_ = kind;
  CloseWithReset();
}

void ClientConnection::AbandonWithSocketError(const std::string& otherwise) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (fd_.valid() &&
      ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error != 0) {
    Abandon(ErrorKind::kClosed, ErrnoText(error));
    return;
  }
  Abandon(ErrorKind::kClosed, otherwise);
}

std::string ClientConnection::Describe(const std::string& what) const {
  return "connection " + std::to_string(stream_id_) + " (sent " +
         std::to_string(bytes_sent_) + " B, " + std::to_string(bytes_verified_) +
         " B echoed): " + what;
}

}  // namespace load
}  // namespace echo
