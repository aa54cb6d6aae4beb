// bytes.h: ByteView, a non-owning view of a run of bytes.
//
// C++17 has no std::span; this is the one vocabulary type the core uses to
// pass bytes in and out without copying.

#ifndef ECHO_LAB_CORE_BYTES_H_
#define ECHO_LAB_CORE_BYTES_H_

#include <cstddef>
#include <cstdint>

namespace echo {

// A read-only view of `size` bytes starting at `data`. The viewer does not own
// the bytes; whoever hands one out says how long it stays valid.
struct ByteView {
  const uint8_t* data = nullptr;
  size_t size = 0;

  bool empty() const { return size == 0; }
};

}  // namespace echo

#endif  // ECHO_LAB_CORE_BYTES_H_
