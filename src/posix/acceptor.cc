#include "src/posix/acceptor.h"

#include <cerrno>

namespace echo {

AcceptResult AcceptResultFromRaw(RawIo raw) {
  AcceptResult result;
  if (raw.value >= 0) {
    result.status = AcceptStatus::kAccepted;
    result.fd.reset(static_cast<int>(raw.value));
    return result;
  }
  result.system_code = raw.saved_errno;
  switch (result.system_code) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      result.status = AcceptStatus::kWouldBlock;
      break;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      result.status = AcceptStatus::kOutOfDescriptors;
      break;
    // Linux reports errors of the new connection through accept(); the
    // listener itself is fine (see accept(2), "Error handling").
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      result.status = AcceptStatus::kConnectionGone;
      break;
    default:
      result.status = AcceptStatus::kFailed;
      break;
  }
  return result;
}

}  // namespace echo
