#include "src/core/io_result.h"

#include <cerrno>

namespace echo {

int InterruptedErrno() { return EINTR; }

IoResult IoResultFromRaw(RawIo raw, IoDirection direction) {
  if (raw.value > 0) return IoResult::Ok(static_cast<size_t>(raw.value));
  if (raw.value == 0) {
    return direction == IoDirection::kRead ? IoResult::Eof() : IoResult::Ok(0);
  }
  switch (raw.saved_errno) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      return IoResult::WouldBlock();
    case ECONNRESET:
      return IoResult::Error(IoError::kConnectionReset, raw.saved_errno);
    case EPIPE:
      return IoResult::Error(IoError::kBrokenPipe, raw.saved_errno);
    default:
      return IoResult::Error(IoError::kOther, raw.saved_errno);
  }
}

}  // namespace echo
