#include "tools/load/testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "src/posix/unique_fd.h"

extern char** environ;

namespace echo {
namespace load {
namespace testing {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left) + 1;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

// posix_spawn: no code of ours runs between fork and exec, which matters in
// a test process that may have threads (the bad echo servers).
pid_t Spawn(const std::string& path, const std::vector<std::string>& args, int stdout_fd,
            int stderr_fd, std::string* error) {
  std::vector<std::string> strings{path};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
  // The child starts with default signal handling, whatever the test did.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid = -1;
  const int failed = posix_spawn(&pid, path.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (failed != 0) {
    *error = "cannot run " + path + ": " + std::strerror(failed);
    return -1;
  }
  return pid;
}

void KillAndReap(pid_t pid) {
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

std::string RunfilesPath(const std::string& workspace_relative) {
  const char* root = std::getenv("TEST_SRCDIR");
  return std::string(root == nullptr ? "." : root) + "/echo_lab/" + workspace_relative;
}

RunResult RunToExit(const std::string& path, const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout) {
  RunResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    result.out = "pipe2 failed";
    return result;
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    result.out = "pipe2 failed";
    return result;
  }
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  std::string error;
  const pid_t pid = Spawn(path, args, out_write.get(), err_write.get(), &error);
  out_write.reset();  // EOF on the pipes now means the child closed them.
  err_write.reset();
  if (pid < 0) {
    result.out = error;
    return result;
  }
  result.started = true;

  const auto deadline = Clock::now() + timeout;
  UniqueFd* fds[] = {&out_read, &err_read};
  std::string* texts[] = {&result.out, &result.err};
  while (out_read.valid() || err_read.valid()) {
    pollfd entries[2];
    int owners[2];
    nfds_t count = 0;
    for (int i = 0; i < 2; ++i) {
      if (!fds[i]->valid()) continue;
      entries[count] = {fds[i]->get(), POLLIN, 0};
      owners[count++] = i;
    }
    const int ready = ::poll(entries, count, MillisLeft(deadline));
    if (ready == 0 && Clock::now() >= deadline) break;
    for (nfds_t k = 0; k < count; ++k) {
      if (entries[k].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(entries[k].fd, buffer, sizeof(buffer));
      if (n > 0) {
        texts[owners[k]]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[owners[k]]->reset();
      }
    }
  }
  // Both pipes closed; the exit follows at once (or the deadline passed).
  int status = 0;
  while (true) {
    const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
    if (reaped == pid) break;
    if (reaped < 0 && errno != EINTR) break;
    if (Clock::now() >= deadline) {
      KillAndReap(pid);
      result.timed_out = true;
      result.status = "killed at the deadline (" + std::to_string(timeout.count()) + " ms)";
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.status = DescribeStatus(status);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

::testing::AssertionResult BackgroundServer::Start(
    const std::string& path, const std::vector<std::string>& extra_args,
    std::chrono::milliseconds timeout, std::unique_ptr<BackgroundServer>* server) {
  // A file rather than a pipe: nobody has to keep draining it, so the
  // server can never block on its own logging while the test is busy.
  static std::atomic<int> counter{0};
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string stderr_path = std::string(tmp == nullptr ? "/tmp" : tmp) +
                                  "/echo_server_stderr_" + std::to_string(::getpid()) + "_" +
                                  std::to_string(counter++) + ".txt";
  UniqueFd stderr_file(
      ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  UniqueFd null_out(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (!stderr_file.valid() || !null_out.valid()) {
    return ::testing::AssertionFailure() << "cannot open " << stderr_path;
  }
  std::vector<std::string> args{"--port", "0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::string error;
  const pid_t pid = Spawn(path, args, null_out.get(), stderr_file.get(), &error);
  if (pid < 0) return ::testing::AssertionFailure() << error;
  server->reset(new BackgroundServer(pid, stderr_path));

  const std::string prefix = "echo_server: listening on 127.0.0.1:";
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const std::string text = (*server)->Stderr();
    const size_t at = text.find(prefix);
    const size_t end = at == std::string::npos ? at : text.find('\n', at);
    if (end != std::string::npos) {
      const std::string digits = text.substr(at + prefix.size(), end - at - prefix.size());
      const long port = digits.empty() || digits.size() > 5 ? 0 : std::strtol(digits.c_str(), nullptr, 10);
      if (port <= 0 || port > 65535 || digits.find_first_not_of("0123456789") != std::string::npos) {
        return ::testing::AssertionFailure() << "no port in startup line: " << text;
      }
      (*server)->port_ = static_cast<uint16_t>(port);
      return ::testing::AssertionSuccess();
    }
    if (!(*server)->Running()) {
      return ::testing::AssertionFailure() << "echo_server exited at startup; stderr: " << text;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ::testing::AssertionFailure() << "no startup line within " << timeout.count()
                                       << " ms; stderr: " << (*server)->Stderr();
}

BackgroundServer::~BackgroundServer() {
  if (!reaped_) KillAndReap(pid_);
  ::unlink(stderr_path_.c_str());
}

std::string BackgroundServer::Stderr() const {
  std::ifstream file(stderr_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

bool BackgroundServer::Running() {
  if (reaped_) return false;
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid_, &status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid_) reaped_ = true;
  return !reaped_;
}

}  // namespace testing
}  // namespace load
}  // namespace echo
