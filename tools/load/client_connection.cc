#include "tools/load/client_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace echo {
namespace load {
namespace {

// The socket's pending error (SO_ERROR), 0 for none; errno if unreadable.
int PendingError(int fd) {
  int error = 0;
  socklen_t length = sizeof(error);
  return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 ? error : errno;
}

}  // namespace

void ClientConnection::StartConnect(RunContext* run, uint64_t stream_id, uint32_t events,
                                    uint64_t tag) {
  *this = ClientConnection();
  run_ = run;
  state_ = State::kConnecting;
  pattern_ = StreamPattern(&run->pattern, stream_id);
  stream_id_ = stream_id;
  last_progress_ = run->now;
  const SocketAddress& server = *run->server;
  fd_.reset(::socket(server.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) return Abandon(ErrorKind::kOther, "socket(): " + ErrnoText(errno));
  // Messages are sent whole and at once; Nagle would hold back a small
  // ping-pong message until the previous echo's ACK and inflate latency.
  const int on = 1;
  ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  if (const int error = run->loop.Watch(EPOLL_CTL_ADD, fd_.get(), events, tag); error != 0) {
    return Abandon(ErrorKind::kOther, "epoll_ctl(): " + ErrnoText(error));
  }
  if (::connect(fd_.get(), server.get(), server.length()) == 0) {
    state_ = State::kOpen;
    ++run_->totals.open;
  } else if (errno != EINPROGRESS && errno != EINTR) {
    Abandon(ErrorKind::kOther, "connect to " + server.ToString() + ": " + ErrnoText(errno));
  }
}

void ClientConnection::FinishConnect() {
  if (const int error = PendingError(fd_.get()); error != 0) {
    return Abandon(ErrorKind::kOther,
                   "connect to " + run_->server->ToString() + ": " + ErrnoText(error));
  }
  // SO_ERROR is also 0 while the handshake is still under way (a spurious
  // wakeup); only a peer address proves the connection is up.
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &length) != 0) return;
  state_ = State::kOpen;
  last_progress_ = run_->now;
  ++run_->totals.open;
}

ClientConnection::SendStatus ClientConnection::SendUpTo(uint64_t limit, Random* sizes) {
  constexpr size_t kMaxSend = std::min(kMaxRandomSize, PatternTable::kPeriod);
  while (bytes_sent_ < limit) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(limit - bytes_sent_, kMaxSend));
    if (sizes != nullptr) {
      want = static_cast<size_t>(std::min<uint64_t>(want, sizes->LogUniformSize(kMaxSend)));
    }
    const ssize_t n = ::send(fd_.get(), pattern_.Span(bytes_sent_), want, MSG_NOSIGNAL);
    if (n > 0) {
      bytes_sent_ += static_cast<uint64_t>(n);
      run_->totals.bytes_sent += static_cast<uint64_t>(n);
      last_progress_ = run_->now;
      if (static_cast<size_t>(n) < want) return SendStatus::kBlocked;  // Full.
      continue;
    }
    if (n < 0 && IsTransientErrno(errno)) {
      if (errno == EINTR) continue;
      return SendStatus::kBlocked;
    }
    Abandon(ErrorKind::kClosed,
            std::string("send(): ") + (n == 0 ? "sent nothing" : ErrnoText(errno)));
    return SendStatus::kFailed;
  }
  return SendStatus::kReachedLimit;
}

ClientConnection::ReadStatus ClientConnection::ReadAvailable(uint32_t events, uint64_t stop_at,
                                                             Random* sizes) {
  uint8_t* buffer = run_->read_buffer.data();
  while (bytes_verified_ < stop_at) {
    const size_t want = sizes == nullptr ? run_->read_buffer.size()
                                         : sizes->LogUniformSize(kMaxRandomSize);
    const ssize_t n = ::recv(fd_.get(), buffer, want, 0);
    if (n > 0) {
      const auto got = static_cast<size_t>(n);
      // Bytes within what was sent must match it; anything beyond was never
      // sent and cannot be an echo.
      const size_t echoable = static_cast<size_t>(std::min<uint64_t>(got, outstanding()));
      const size_t good = pattern_.FirstMismatch(bytes_verified_, buffer, echoable);
      bytes_verified_ += good;
      run_->totals.bytes_verified += good;
      if (good < echoable) {
        Abandon(ErrorKind::kWrongData,
                StringPrintf("wrong byte at stream offset %llu: got 0x%02x, expected 0x%02x",
                             static_cast<unsigned long long>(bytes_verified_), buffer[good],
                             pattern_.ByteAt(bytes_verified_)));
        return ReadStatus::kFailed;
      }
      last_progress_ = run_->now;
      if (echoable < got) {
        Abandon(ErrorKind::kWrongData,
                std::to_string(got - echoable) +
                    " byte(s) received beyond everything sent (never sent, so not an echo)");
        return ReadStatus::kFailed;
      }
      if (got < want && !PeerMayHaveClosed(events)) return ReadStatus::kDrained;
      continue;
    }
    if (n == 0) return ReadStatus::kEof;
    if (errno == EINTR) continue;
    if (IsTransientErrno(errno)) return ReadStatus::kDrained;
    Abandon(ErrorKind::kClosed, "recv(): " + ErrnoText(errno));
    return ReadStatus::kFailed;
  }
  return ReadStatus::kStopped;
}

bool ClientConnection::Rewatch(uint32_t events, uint64_t tag) {
  if (const int error = run_->loop.Watch(EPOLL_CTL_MOD, fd_.get(), events, tag); error != 0) {
    Abandon(ErrorKind::kOther, "epoll_ctl(EPOLL_CTL_MOD): " + ErrnoText(error));
    return false;
  }
  return true;
}

bool ClientConnection::ShutdownWrite() {
  if (::shutdown(fd_.get(), SHUT_WR) != 0) {
    Abandon(ErrorKind::kClosed, "shutdown(SHUT_WR): " + ErrnoText(errno));
    return false;
  }
  write_shut_ = true;
  return true;
}

void ClientConnection::Close(bool reset) {
  if (reset && fd_.valid()) {
    const linger abort_on_close{1, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
  }
  fd_.reset();
  if (state_ == State::kOpen) --run_->totals.open;
  state_ = State::kClosed;
}

void ClientConnection::Abandon(ErrorKind kind, const std::string& what) {
  run_->errors.Add(kind, "connection " + std::to_string(stream_id_) + " (sent " +
                             std::to_string(bytes_sent_) + " B, " +
                             std::to_string(bytes_verified_) + " B echoed): " + what);
  CloseWithReset();
}

void ClientConnection::AbandonWithSocketError(const std::string& otherwise) {
  const int error = PendingError(fd_.get());
  Abandon(ErrorKind::kClosed, error != 0 ? ErrnoText(error) : otherwise);
}

bool ClientConnection::AbandonIfStalled(Nanos timeout, const std::string& waiting_for) {
  if (!active() || run_->now - last_progress_ <= timeout) return false;
  const Nanos idle = run_->now - last_progress_;
  Abandon(ErrorKind::kStalled,
          open() ? StringPrintf("timed out: nothing moved for %.1f s while waiting for %s",
                                static_cast<double>(idle) / kNanosPerSecond,
                                waiting_for.c_str())
                 : "connect to " + run_->server->ToString() + " timed out");
  return true;
}

}  // namespace load
}  // namespace echo
