// subprocess.h: running echo_load and the echo server from tests.
//
// RunToExit() runs a program that is expected to finish, capturing its
// output; BackgroundServer runs echo_server --port 0 and learns its port
// from the startup line. Every wait is bounded; a child still running at a
// deadline, or when its owner goes away, is killed (SIGKILL) and reaped, so
// no test path leaks a process.
//
// (tests/integration has a richer ChildProcess; it is private to that
// package, and this one needs far less.)

#ifndef ECHO_LAB_TOOLS_LOAD_TESTING_SUBPROCESS_H_
#define ECHO_LAB_TOOLS_LOAD_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace echo {
namespace load {
namespace testing {

// A file in the runfiles tree of workspace "echo_lab", e.g.
// "tools/load/echo_load".
std::string RunfilesPath(const std::string& workspace_relative);

struct RunResult {
  bool started = false;    // fork/exec worked (else see `out`).
  bool timed_out = false;  // Killed at the deadline.
  int exit_code = -1;      // When it exited normally; -1 otherwise.
  std::string out;
  std::string err;
  // "exit 0", "killed by signal 9", ...: for failure messages.
  std::string status;
};

// Runs `path` with `args` (stdin /dev/null), collecting stdout and stderr,
// until it exits or `timeout` passes (then it is killed).
RunResult RunToExit(const std::string& path, const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout);

class BackgroundServer {
 public:
  // Starts `path --port 0 extra_args...` with stderr going to a file under
  // $TEST_TMPDIR, and waits (up to `timeout`) for its line
  // "echo_server: listening on 127.0.0.1:PORT".
  static ::testing::AssertionResult Start(const std::string& path,
                                          const std::vector<std::string>& extra_args,
                                          std::chrono::milliseconds timeout,
                                          std::unique_ptr<BackgroundServer>* server);

  // Kills and reaps the server if it is still running.
  ~BackgroundServer();

  BackgroundServer(const BackgroundServer&) = delete;
  BackgroundServer& operator=(const BackgroundServer&) = delete;

  uint16_t port() const { return port_; }
  // Everything the server wrote to stderr so far.
  std::string Stderr() const;
  // Whether it is still running (reaps it if it has exited).
  bool Running();

 private:
  BackgroundServer(pid_t pid, std::string stderr_path)
      : pid_(pid), stderr_path_(std::move(stderr_path)) {}

  pid_t pid_;
  bool reaped_ = false;
  std::string stderr_path_;
  uint16_t port_ = 0;
};

}  // namespace testing
}  // namespace load
}  // namespace echo

#endif  // ECHO_LAB_TOOLS_LOAD_TESTING_SUBPROCESS_H_
