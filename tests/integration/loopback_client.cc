#include "tests/integration/loopback_client.h"

#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <thread>

#include "src/posix/system_limits.h"

namespace echo {
namespace testing {
namespace {

// A backstop beside the deadlines: no poll loop here runs more rounds than
// this, even if poll() kept returning at once without progress.
constexpr int kMaxPollRounds = 4'000'000;

// Waits until `fd` reports one of `events` (or an error/hangup). Returns the
// revents, 0 if the deadline passed, -1 if poll() failed (errno is set).
int WaitFor(int fd, short events, Deadline deadline) {
  for (int round = 0; round < kMaxPollRounds; ++round) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, PollTimeoutMs(deadline));
    if (ready > 0) return entry.revents;
    if (ready == 0 && Expired(deadline)) return 0;
    if (ready < 0 && errno != EINTR) return -1;
  }
  return 0;
}

// Where an Exchange's sends must stop: the end of the current chunk (a send
// never crosses one), or nowhere once past the last chunk.
class ChunkCuts {
 public:
  explicit ChunkCuts(const std::vector<size_t>& sizes) : sizes_(sizes) { Advance(0); }

  // Moves to the chunk that holds byte `sent`, skipping empty chunks.
  void Advance(size_t sent) {
    while (cut_ <= sent) {
      if (next_ == sizes_.size()) {
        cut_ = std::numeric_limits<size_t>::max();
        return;
      }
      cut_ += sizes_[next_++];
    }
  }
  // The offset the current chunk ends at.
  size_t cut() const { return cut_; }

 private:
  const std::vector<size_t>& sizes_;
  size_t next_ = 0;
  size_t cut_ = 0;
};

// One recv() into `buffer` for an Exchange, then `pause` (a slow reader).
// False if the exchange must end on an error, which `result` then holds.
bool ReceiveSome(int fd, std::vector<char>* buffer, std::chrono::microseconds pause,
                 ExchangeResult* result) {
  const ssize_t n = ::recv(fd, buffer->data(), buffer->size(), 0);
  if (n > 0) {
    result->received.append(buffer->data(), static_cast<size_t>(n));
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  } else if (n == 0) {
    result->eof = true;
  } else if (!IsTransientErrno(errno)) {
    result->error = errno;
    return false;
  }
  return true;
}

// One send() of what is left of `to_send`, up to the current chunk's end.
// False if the exchange must end on an error, which `result` then holds.
bool SendSome(int fd, std::string_view to_send, ChunkCuts* cuts, ExchangeResult* result) {
  const size_t offer = std::min(to_send.size() - result->sent, cuts->cut() - result->sent);
  const ssize_t n = ::send(fd, to_send.data() + result->sent, offer, MSG_NOSIGNAL);
  if (n > 0) {
    result->sent += static_cast<size_t>(n);
    cuts->Advance(result->sent);
  } else if (n < 0 && !IsTransientErrno(errno)) {
    result->error = errno;
    return false;
  }
  return true;
}

::testing::AssertionResult SetBuffer(int fd, int option, int bytes,
                                     const char* name) {
  if (bytes <= 0) return ::testing::AssertionSuccess();
  if (::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes)) != 0) {
    return ::testing::AssertionFailure()
           << "setsockopt(" << name << "): " << ErrnoText(errno);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

::testing::AssertionResult Connect(const SocketAddress& address,
                                   Deadline deadline, UniqueFd* fd,
                                   const ConnectOptions& options) {
  UniqueFd socket(::socket(address.family(),
                           SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket.valid()) {
    return ::testing::AssertionFailure() << "socket(): " << ErrnoText(errno);
  }
  auto set = SetBuffer(socket.get(), SO_RCVBUF, options.receive_buffer,
                       "SO_RCVBUF");
  if (!set) return set;
  set = SetBuffer(socket.get(), SO_SNDBUF, options.send_buffer, "SO_SNDBUF");
  if (!set) return set;
  if (!options.source.empty()) {
    const auto source = SocketAddress::Parse(options.source, 0);
    if (!source || ::bind(socket.get(), source->get(), source->length()) != 0) {
      return ::testing::AssertionFailure()
             << "bind(" << options.source << "): " << ErrnoText(errno);
    }
  }

  if (::connect(socket.get(), address.get(), address.length()) != 0) {
    // A non-blocking connect completes in the background (EINTR included).
    if (errno != EINPROGRESS && errno != EINTR) {
      return ::testing::AssertionFailure()
             << "connect(" << address.ToString() << "): " << ErrnoText(errno);
    }
    const int revents = WaitFor(socket.get(), POLLOUT, deadline);
    if (revents == 0) {
      return ::testing::AssertionFailure()
             << "connect(" << address.ToString() << ") timed out";
    }
    if (revents < 0) {
      return ::testing::AssertionFailure() << "poll(): " << ErrnoText(errno);
    }
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
      error = errno;
    }
    if (error != 0) {
      return ::testing::AssertionFailure()
             << "connect(" << address.ToString() << "): " << ErrnoText(error);
    }
  }
  *fd = std::move(socket);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Connect(const std::string& host, uint16_t port,
                                   Deadline deadline, UniqueFd* fd,
                                   const ConnectOptions& options) {
  const auto address = SocketAddress::Parse(host, port);
  if (!address) {
    return ::testing::AssertionFailure()
           << "'" << host << "' is not a numeric address";
  }
  return Connect(*address, deadline, fd, options);
}

::testing::AssertionResult SendAll(int fd, std::string_view bytes,
                                   Deadline deadline) {
  size_t sent = 0;
  for (int round = 0; round < kMaxPollRounds && sent < bytes.size(); ++round) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent,
                             MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && !IsTransientErrno(errno)) {
      return ::testing::AssertionFailure()
             << "send() failed after " << sent << " of " << bytes.size()
             << " bytes: " << ErrnoText(errno);
    }
    if (WaitFor(fd, POLLOUT, deadline) == 0) break;
  }
  if (sent < bytes.size()) {
    return ::testing::AssertionFailure()
           << "timed out after sending " << sent << " of " << bytes.size()
           << " bytes";
  }
  return ::testing::AssertionSuccess();
}

ReadResult ReadUpTo(int fd, size_t limit, Deadline deadline) {
  ReadResult result;
  std::vector<char> buffer(64 * 1024);
  for (int round = 0; round < kMaxPollRounds && result.bytes.size() < limit;
       ++round) {
    const size_t wanted = std::min(buffer.size(), limit - result.bytes.size());
    const ssize_t n = ::recv(fd, buffer.data(), wanted, 0);
    if (n > 0) {
      result.bytes.append(buffer.data(), static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      result.eof = true;
      return result;
    }
    if (!IsTransientErrno(errno)) {
      result.error = errno;
      return result;
    }
    const int revents = WaitFor(fd, POLLIN, deadline);
    if (revents == 0) {
      result.timed_out = true;
      return result;
    }
    if (revents < 0) {
      result.error = errno;
      return result;
    }
  }
  if (result.bytes.size() < limit) result.timed_out = true;
  return result;
}

::testing::AssertionResult ShutdownWrite(int fd) {
  if (::shutdown(fd, SHUT_WR) != 0) {
    return ::testing::AssertionFailure()
           << "shutdown(SHUT_WR): " << ErrnoText(errno);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult CloseWithReset(UniqueFd fd) {
  const linger abort_on_close{1, 0};
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                   sizeof(abort_on_close)) != 0) {
    return ::testing::AssertionFailure()
           << "setsockopt(SO_LINGER): " << ErrnoText(errno);
  }
  fd.reset();
  return ::testing::AssertionSuccess();
}

ExchangeResult Exchange(int fd, std::string_view to_send, Deadline deadline,
                        const ExchangeOptions& options) {
  ExchangeResult result;
  const size_t expected = options.echo_owed + to_send.size();
  std::vector<char> buffer(std::max<size_t>(1, options.max_read));
  ChunkCuts cuts(options.chunk_sizes);
  bool shut_down = false;
  for (int round = 0; round < kMaxPollRounds; ++round) {
    const bool all_sent = result.sent == to_send.size();
    if (all_sent && options.shutdown_after_send && !shut_down) {
      if (::shutdown(fd, SHUT_WR) != 0) {
        result.error = errno;
        return result;
      }
      shut_down = true;
    }
    const bool all_received = options.shutdown_after_send
                                  ? result.eof
                                  : result.received.size() >= expected;
    // EOF before the end is a short transfer: the caller sees the sizes.
    if ((all_sent && all_received) || result.eof) return result;

    pollfd entry{fd, static_cast<short>(POLLIN | (all_sent ? 0 : POLLOUT)), 0};
    const int ready = ::poll(&entry, 1, PollTimeoutMs(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      result.error = errno;
      return result;
    }
    if (ready == 0) {
      if (Expired(deadline)) break;
      continue;
    }
    if ((entry.revents & (POLLIN | POLLHUP | POLLERR)) &&
        !ReceiveSome(fd, &buffer, options.read_pause, &result)) {
      return result;
    }
    if (result.eof) continue;
    if (!all_sent && (entry.revents & (POLLOUT | POLLERR)) &&
        !SendSome(fd, to_send, &cuts, &result)) {
      return result;
    }
  }
  result.timed_out = true;
  return result;
}

std::vector<FillResult> SendUntilStalled(const std::vector<int>& fds,
                                         std::string_view bytes,
                                         std::chrono::milliseconds stall,
                                         Deadline deadline) {
  std::vector<FillResult> results(fds.size());
  std::vector<Clock::time_point> last_progress(fds.size(), Clock::now());
  std::vector<bool> done(fds.size(), false);

  for (int round = 0; round < kMaxPollRounds; ++round) {
    const Clock::time_point now = Clock::now();
    std::vector<pollfd> entries;
    std::vector<size_t> owners;
    Deadline wake = deadline;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (done[i]) continue;
      if (results[i].sent == bytes.size()) {
        done[i] = true;
      } else if (now - last_progress[i] >= stall) {
        results[i].stalled = true;
        done[i] = true;
      } else {
        entries.push_back({fds[i], POLLOUT, 0});
        owners.push_back(i);
        wake = std::min(wake, last_progress[i] + stall);
      }
    }
    if (entries.empty() || Expired(deadline)) break;

    const int ready = ::poll(entries.data(), entries.size(), PollTimeoutMs(wake));
    if (ready < 0 && errno != EINTR) break;
    for (size_t k = 0; ready > 0 && k < entries.size(); ++k) {
      if (entries[k].revents == 0) continue;
      const size_t i = owners[k];
      // Fill the socket completely before polling again.
      for (int sends = 0; sends < 1024 && results[i].sent < bytes.size();
           ++sends) {
        const ssize_t n = ::send(fds[i], bytes.data() + results[i].sent,
                                 bytes.size() - results[i].sent, MSG_NOSIGNAL);
        if (n > 0) {
          results[i].sent += static_cast<size_t>(n);
          last_progress[i] = Clock::now();
          continue;
        }
        if (n < 0 && !IsTransientErrno(errno)) {
          results[i].error = errno;
          done[i] = true;
        }
        break;
      }
    }
  }
  return results;
}

std::string LoopbackUnavailable(int family) {
  const char* host = family == AF_INET6 ? "::1" : "127.0.0.1";
  const std::optional<SocketAddress> any_port = SocketAddress::Parse(host, 0);
  UniqueFd listener(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) {
    return std::string("socket(") + (family == AF_INET6 ? "AF_INET6" : "AF_INET") +
           "): " + ErrnoText(errno);
  }
  if (::bind(listener.get(), any_port->get(), any_port->length()) != 0) {
    return std::string("bind(") + host + "): " + ErrnoText(errno);
  }
  // Bound is not enough: with the loopback interface down, bind succeeds
  // and connect fails. A blocking connect on loopback completes (or fails)
  // at once, in the kernel, against the listen backlog.
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return std::string("listen(") + host + "): " + ErrnoText(errno);
  }
  UniqueFd client(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client.valid() ||
      ::connect(client.get(), reinterpret_cast<const sockaddr*>(&bound), length) != 0) {
    return std::string("connect(") + host + "): " + ErrnoText(errno);
  }
  return "";
}

bool CanBindIpv6Loopback() { return LoopbackUnavailable(AF_INET6).empty(); }

int CountOpenFds(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  // Bounded by the directory's size: readdir returns each entry once.
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

}  // namespace testing
}  // namespace echo
