#include "src/testing/fake_listener.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace echo {
namespace {

// Small kernel buffers, so that backpressure and short writes really happen
// within the few kilobytes a fuzz input moves.
constexpr int kSocketBuffer = 4096;

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

uint64_t Readable(int fd) {
  int bytes = 0;
  return ::ioctl(fd, FIONREAD, &bytes) == 0 && bytes > 0 ? static_cast<uint64_t>(bytes) : 0;
}

}  // namespace

FakeListener::FakeListener(Options options)
    : options_(options), ready_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!ready_.valid()) std::abort();  // No harness can run without it.
}

FakeListener::~FakeListener() = default;

UniqueFd FakeListener::Connect(const std::string& peer_group) {
  if (closed_) return UniqueFd();
  Sweep();
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
    std::abort();  // Out of descriptors in the harness itself: not a finding.
  }
  for (int fd : pair) {
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof(kSocketBuffer));
  }
  Connection connection;
  connection.server_fd = pair[1];
  connection.peer_group = peer_group;
  connections_.push_back(connection);
  duplicates_.emplace_back(pair[1]);  // Owned by the fake while pending.
  backlog_.push_back(connections_.size() - 1);
  UpdateReadiness();
  return UniqueFd(pair[0]);
}

void FakeListener::FailAccepts(int error, int count) {
  for (int i = 0; i < count; ++i) failures_.push_back(error);
}

void FakeListener::Sweep() {
  for (size_t i = 0; i < connections_.size(); ++i) {
    Connection& c = connections_[i];
    if (c.state != State::kHandedOut || IsOpen(c.server_fd)) continue;
    c.state = State::kClosedByServer;
    c.unread_at_close = Readable(duplicates_[i].get());
    duplicates_[i].reset();  // Now the client sees the close.
  }
  reserves_.erase(std::remove_if(reserves_.begin(), reserves_.end(),
                                 [](int fd) { return !IsOpen(fd); }),
                  reserves_.end());
}

uint64_t FakeListener::Unread(size_t index) const {
  const Connection& c = connections_[index];
  switch (c.state) {
    case State::kPending:
    case State::kHandedOut: return Readable(duplicates_[index].get());
    case State::kClosedByServer: return c.unread_at_close;
    case State::kDropped: return 0;
  }
  return 0;
}

size_t FakeListener::server_descriptors() const {
  const auto held = std::count_if(connections_.begin(), connections_.end(),
                                  [](const Connection& c) { return c.state == State::kHandedOut; });
  return static_cast<size_t>(held) + reserves_.size();
}

size_t FakeListener::live_reserves() const { return reserves_.size(); }

AcceptResult FakeListener::Accept() {
  Sweep();
  records_.emplace_back();
  AcceptResult result = RetryAccept([this] { return NextRawAccept(); });
  records_.back().status = result.status;
  if (result.status == AcceptStatus::kAccepted) {
    result.peer_group = connections_[records_.back().connection].peer_group;
  }
  UpdateReadiness();
  return result;
}

std::vector<FakeListener::AcceptRecord> FakeListener::TakeAcceptRecords() {
  std::vector<AcceptRecord> taken;
  taken.swap(records_);
  return taken;
}

RawIo FakeListener::NextRawAccept() {
  int error = 0;
  if (!failures_.empty()) {
    error = failures_.front();
    failures_.pop_front();
  } else if (closed_ || backlog_.empty()) {
    error = EAGAIN;
  } else if (server_descriptors() >= options_.descriptor_limit) {
    error = EMFILE;
  }
  if (error != 0) {
    errno = error;
    return RawIo{-1, error};
  }
  const size_t index = backlog_.front();
  backlog_.pop_front();
  AcceptRecord& record = records_.back();
  record.connection = index;
  record.server_held = server_descriptors() - reserves_.size();
  record.group_held = static_cast<size_t>(std::count_if(
      connections_.begin(), connections_.end(), [&](const Connection& c) {
        return c.state == State::kHandedOut && c.peer_group == connections_[index].peer_group;
      }));
  connections_[index].state = State::kHandedOut;
  const int fd = duplicates_[index].release();
  duplicates_[index].reset(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  errno = options_.stale_errno;
  return RawIo{fd, options_.stale_errno};
}

UniqueFd FakeListener::OpenReserve() {
  Sweep();
  if (server_descriptors() >= options_.descriptor_limit) {
    errno = EMFILE;
    return UniqueFd();
  }
  UniqueFd reserve(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (reserve.valid()) reserves_.push_back(reserve.get());
  return reserve;
}

void FakeListener::Close() {
  closed_ = true;
  for (size_t index : backlog_) {
    connections_[index].state = State::kDropped;
    duplicates_[index].reset();
  }
  backlog_.clear();
  UpdateReadiness();
}

// The eventfd polls readable while its counter is non-zero: a write adds to
// it, a read resets it, or fails with EAGAIN when it is zero already, which
// is the state wanted. Anything else means the harness itself is broken.
void FakeListener::UpdateReadiness() {
  const bool want = !closed_ && !backlog_.empty();
  uint64_t count = 1;
  const ssize_t done = want ? ::write(ready_.get(), &count, sizeof(count))
                            : ::read(ready_.get(), &count, sizeof(count));
  if (done < 0 && errno != EAGAIN) std::abort();
}

}  // namespace echo
