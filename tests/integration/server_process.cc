#include "tests/integration/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include "src/posix/system_limits.h"

namespace echo {
namespace testing {
namespace {

using std::chrono::milliseconds;

// A backstop beside the deadlines: no loop here runs more rounds than this.
constexpr int kMaxRounds = 1'000'000;
// How long one wait for exit sleeps (in poll) between waitpid() checks.
constexpr milliseconds kExitPollInterval(2);

// A close-on-exec pipe: {read end, write end}.
bool MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return true;
}

// Runs in the forked child: only async-signal-safe calls from here on.
[[noreturn]] void ExecChild(int stdin_fd, int stdout_fd, int stderr_fd,
                            int status_fd, char* const* argv) {
  if (::dup2(stdin_fd, STDIN_FILENO) < 0 ||
      ::dup2(stdout_fd, STDOUT_FILENO) < 0 ||
      ::dup2(stderr_fd, STDERR_FILENO) < 0) {
    const int error = errno;
    (void)!::write(status_fd, &error, sizeof(error));
    ::_exit(127);
  }
  // Ignored dispositions and the signal mask survive exec; reset them so
  // the child starts as a shell would start it.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (const int signo : {SIGPIPE, SIGINT, SIGTERM}) {
    ::sigaction(signo, &default_action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  ::execv(argv[0], argv);
  // Only reached if exec failed; the status pipe is close-on-exec, so the
  // parent reads EOF on success and an errno here on failure.
  const int error = errno;
  (void)!::write(status_fd, &error, sizeof(error));
  ::_exit(127);
}

}  // namespace

::testing::AssertionResult ChildProcess::Spawn(
    const std::string& path, const std::vector<std::string>& args,
    std::unique_ptr<ChildProcess>* child) {
  UniqueFd out_read, out_write, err_read, err_write, status_read, status_write;
  if (!MakePipe(&out_read, &out_write) || !MakePipe(&err_read, &err_write) ||
      !MakePipe(&status_read, &status_write)) {
    return ::testing::AssertionFailure() << "pipe2(): " << ErrnoText(errno);
  }
  UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!dev_null.valid()) {
    return ::testing::AssertionFailure()
           << "open(/dev/null): " << ErrnoText(errno);
  }

  // Everything the child needs is built before fork(): after it, the child
  // may not allocate.
  std::vector<std::string> strings;
  strings.push_back(path);
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    return ::testing::AssertionFailure() << "fork(): " << ErrnoText(errno);
  }
  if (pid == 0) {
    ExecChild(dev_null.get(), out_write.get(), err_write.get(),
              status_write.get(), argv.data());
  }

  // Parent: drop the child's ends, so EOF on a pipe means the child (and
  // anything it started) closed it.
  out_write.reset();
  err_write.reset();
  status_write.reset();

  int exec_error = 0;
  ssize_t n = -1;
  pollfd entry{status_read.get(), POLLIN, 0};
  if (::poll(&entry, 1, 10'000) > 0) {
    do {
      n = ::read(status_read.get(), &exec_error, sizeof(exec_error));
    } while (n < 0 && errno == EINTR);
  }
  if (n != 0) {  // An errno from the child, or no answer at all.
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return ::testing::AssertionFailure()
           << "cannot run " << path << ": "
           << (n > 0 ? ErrnoText(exec_error) : "exec did not complete");
  }

  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_read.get(), F_SETFL, O_NONBLOCK);
  child->reset(new ChildProcess(pid, std::move(out_read), std::move(err_read)));
  return ::testing::AssertionSuccess();
}

ChildProcess::ChildProcess(pid_t pid, UniqueFd out, UniqueFd err) : pid_(pid) {
  out_.fd = std::move(out);
  err_.fd = std::move(err);
}

ChildProcess::~ChildProcess() {
  if (status_) return;
  // SIGKILL cannot be caught or ignored, so this wait ends.
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::Pump(Deadline until) {
  Stream* streams[] = {&out_, &err_};
  pollfd entries[2];
  Stream* owners[2];
  nfds_t count = 0;
  for (Stream* stream : streams) {
    if (stream->eof) continue;
    entries[count] = {stream->fd.get(), POLLIN, 0};
    owners[count++] = stream;
  }
  if (count == 0) {
    std::this_thread::sleep_until(until);
    return;
  }
  if (::poll(entries, count, PollTimeoutMs(until)) <= 0) return;
  char buffer[4096];
  for (nfds_t i = 0; i < count; ++i) {
    if (entries[i].revents == 0) continue;
    Stream& stream = *owners[i];
    // Drain what is there now; bounded by the pipe's content.
    for (int reads = 0; reads < 1024; ++reads) {
      const ssize_t n = ::read(stream.fd.get(), buffer, sizeof(buffer));
      if (n > 0) {
        stream.text.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        stream.eof = true;
        stream.fd.reset();
      }
      break;
    }
  }
}

std::optional<std::string> ChildProcess::ReadStderrLine(Deadline deadline) {
  for (int round = 0; round < kMaxRounds; ++round) {
    const size_t newline = err_.text.find('\n', err_lines_end_);
    if (newline != std::string::npos) {
      std::string line = err_.text.substr(err_lines_end_, newline - err_lines_end_);
      err_lines_end_ = newline + 1;
      return line;
    }
    if (err_.eof || Expired(deadline)) return std::nullopt;
    Pump(deadline);
  }
  return std::nullopt;
}

bool ChildProcess::ReadToEof(Deadline deadline) {
  for (int round = 0; round < kMaxRounds; ++round) {
    if (out_.eof && err_.eof) return true;
    if (Expired(deadline)) return false;
    Pump(deadline);
  }
  return out_.eof && err_.eof;
}

const std::string& ChildProcess::StderrSoFar() {
  Pump(Clock::now());
  return err_.text;
}

bool ChildProcess::Signal(int signo) {
  if (status_) return false;  // Reaped: the pid may belong to someone else.
  return ::kill(pid_, signo) == 0;
}

bool ChildProcess::HasExited() {
  if (status_) return true;
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid_, &status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid_) status_ = status;
  return status_.has_value();
}

std::optional<int> ChildProcess::WaitForExit(Deadline deadline) {
  for (int round = 0; round < kMaxRounds; ++round) {
    if (HasExited()) return status_;
    if (Expired(deadline)) return std::nullopt;
    Pump(std::min(deadline, DeadlineIn(kExitPollInterval)));
  }
  return status_;
}

RunResult RunToExit(const std::string& path,
                    const std::vector<std::string>& args, Deadline deadline) {
  RunResult result;
  std::unique_ptr<ChildProcess> child;
  const ::testing::AssertionResult spawned =
      ChildProcess::Spawn(path, args, &child);
  if (!spawned) {
    result.spawn_error = spawned.message();
    return result;
  }
  child->ReadToEof(deadline);
  result.status = child->WaitForExit(deadline);
  result.out = child->stdout_text();
  result.err = child->stderr_text();
  return result;  // A child still running is killed by ~ChildProcess.
}

int RunResult::exit_code() const {
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

std::string RunResult::Describe() const {
  if (!started()) return spawn_error;
  return status ? DescribeWaitStatus(*status) : "still running at the deadline";
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) {
    return "exited with code " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    const int signo = WTERMSIG(status);
    return "killed by signal " + std::to_string(signo) + " (" +
           ::strsignal(signo) + ")";
  }
  return "wait status " + std::to_string(status);
}

::testing::AssertionResult ExitedWithCode(const std::optional<int>& status,
                                          int code) {
  if (!status) {
    return ::testing::AssertionFailure() << "still running at the deadline";
  }
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == code) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << DescribeWaitStatus(*status) << ", expected exit code " << code;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

}  // namespace testing
}  // namespace echo
