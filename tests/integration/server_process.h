// server_process.h: ChildProcess, a program started by a test with fork/exec
// and its stdout and stderr on pipes; RunToExit() for programs expected to
// finish by themselves; and helpers to describe and check wait statuses.
//
// Every wait takes a Deadline. Output is read only by polling the pipes, and
// waiting for exit keeps draining them, so a chatty child cannot block on a
// full pipe while the test waits for it. A ChildProcess still running when
// destroyed is killed (SIGKILL) and reaped, so a failing test leaks nothing.

#ifndef ECHO_LAB_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define ECHO_LAB_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/posix/unique_fd.h"
#include "tests/integration/deadline.h"

namespace echo {
namespace testing {

class ChildProcess {
 public:
  // Starts `path` with arguments `args` (argv[1]...): stdin is /dev/null,
  // stdout and stderr are pipes to this process, and SIGPIPE, SIGINT and
  // SIGTERM have their default dispositions with no signal blocked, whatever
  // the test process did, so the child's own signal handling is what a test
  // observes. Fails if fork or exec fails.
  static ::testing::AssertionResult Spawn(const std::string& path,
                                          const std::vector<std::string>& args,
                                          std::unique_ptr<ChildProcess>* child);

  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The next stderr line not yet returned, without its '\n'; nullopt at the
  // deadline or at EOF before a full line.
  std::optional<std::string> ReadStderrLine(Deadline deadline);

  // Reads stdout and stderr until both reach EOF (returns true) or the
  // deadline passes (returns false).
  bool ReadToEof(Deadline deadline);

  // Everything read so far.
  const std::string& stdout_text() const { return out_.text; }
  const std::string& stderr_text() const { return err_.text; }
  // Reads what the pipes hold now, without waiting; then stderr_text().
  const std::string& StderrSoFar();
  // The stderr read so far that ReadStderrLine() has not returned.
  std::string unread_stderr() const { return err_.text.substr(err_lines_end_); }

  // kill(pid, signo); false if it failed (or the child was already reaped).
  bool Signal(int signo);

  // Reaps the child if it has exited, without waiting. True once it has.
  bool HasExited();

  // Waits for the child to exit, draining its output meanwhile. Returns its
  // wait status, or nullopt if it is still running at the deadline.
  std::optional<int> WaitForExit(Deadline deadline);

 private:
  struct Stream {
    UniqueFd fd;
    std::string text;
    bool eof = false;
  };

  ChildProcess(pid_t pid, UniqueFd out, UniqueFd err);

  // One poll() over the open pipes, waiting at most until `until`, then
  // reads whatever they hold. Sleeps until `until` if both are closed.
  void Pump(Deadline until);

  pid_t pid_;
  Stream out_;
  Stream err_;
  size_t err_lines_end_ = 0;  // Offset in err_.text after the last line read.
  std::optional<int> status_;
};

struct RunResult {
  std::string spawn_error;    // Set if the program could not be started.
  std::optional<int> status;  // Wait status; nullopt if it outlived the deadline.
  std::string out;
  std::string err;

  bool started() const { return spawn_error.empty(); }
  // The exit code of a normal exit; -1 otherwise.
  int exit_code() const;
  // "exited with code 0", "killed by signal 9 (Killed)", "still running at
  // the deadline" or the spawn error: for failure messages.
  std::string Describe() const;
};

// Runs `path` with `args` to completion (or kills it at the deadline),
// collecting its output.
RunResult RunToExit(const std::string& path,
                    const std::vector<std::string>& args, Deadline deadline);

// "exited with code 1", "killed by signal 13 (Broken pipe)", ...
std::string DescribeWaitStatus(int status);

// Succeeds if `status` is a normal exit with `code`.
::testing::AssertionResult ExitedWithCode(const std::optional<int>& status,
                                          int code);

// `text` cut at '\n'; a final line without '\n' is kept, nothing is added
// for a trailing '\n'.
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace testing
}  // namespace echo

#endif  // ECHO_LAB_TESTS_INTEGRATION_SERVER_PROCESS_H_
