#include "src/posix/acceptor.h"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

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

std::string PeerGroupOf(const sockaddr_storage& address, socklen_t length) {
  if (address.ss_family == AF_INET && length >= sizeof(sockaddr_in)) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    return "4" + std::string(reinterpret_cast<const char*>(&v4.sin_addr), 4);
  }
  if (address.ss_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    const auto* bytes = reinterpret_cast<const char*>(&v6.sin6_addr);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) return "4" + std::string(bytes + 12, 4);
    return "6" + std::string(bytes, 8);
  }
  return "";
}

AcceptResult RetryAccept(const std::function<RawIo()>& call) {
  RawIo raw = call();
  while (IsInterrupted(raw)) raw = call();
  return AcceptResultFromRaw(raw);
}

}  // namespace echo
