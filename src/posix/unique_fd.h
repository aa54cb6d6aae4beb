// unique_fd.h: UniqueFd, sole ownership of a file descriptor.
//
// Closes the descriptor when destroyed or reset, so no path can leak one.

#ifndef ECHO_LAB_POSIX_UNIQUE_FD_H_
#define ECHO_LAB_POSIX_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace echo {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }

  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Gives up ownership without closing; returns the descriptor.
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }

  // Closes the owned descriptor (if any) and takes `fd`. close() is not
  // retried on EINTR: on Linux the descriptor is released either way.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace echo

#endif  // ECHO_LAB_POSIX_UNIQUE_FD_H_
