// write_queue.h: WriteQueue, the bytes a connection still owes its peer.
//
// A FIFO of byte blocks with one copy in and none out: Append() copies the
// caller's bytes once, Front() exposes the oldest contiguous run for a write
// call, Consume() drops what the socket took. A block is freed as soon as it
// is drained, so an empty queue owns no blocks; it keeps at most a small
// block list (room for two entries), which saves an allocation when the next
// echo is queued.
//
// The queue also keeps the backpressure rule of a connection: it has a high
// and a low watermark, and once it has reached the high one it reports no
// room until it has drained down to the low one (hysteresis, so a slow reader
// does not make the connection flap between reading and not reading).
//
// Not thread-safe; one owner.

#ifndef ECHO_LAB_CORE_WRITE_QUEUE_H_
#define ECHO_LAB_CORE_WRITE_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "src/core/bytes.h"

namespace echo {

class WriteQueue {
 public:
  // Watermarks in bytes, meaningful with `low <= high` and `high > 0`: the
  // constructor raises `high` to at least 1 and lowers `low` to at most
  // `high`.
  struct Watermarks {
    size_t low = 16 * 1024;
    size_t high = 64 * 1024;
  };

  WriteQueue() : WriteQueue(Watermarks{}) {}
  explicit WriteQueue(Watermarks watermarks);

  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;
  WriteQueue(WriteQueue&&) = default;
  WriteQueue& operator=(WriteQueue&&) = default;

  // Copies `bytes` to the back of the queue. An empty view is a no-op. The
  // queue does not refuse bytes beyond room(): callers that respect the
  // watermark ask room() first.
  void Append(ByteView bytes);

  // The oldest queued bytes that are contiguous in memory: empty if and only
  // if the queue is empty. Valid until the next non-const call.
  ByteView Front() const;

  // Drops the first `count` queued bytes (may span blocks); a count beyond
  // size() empties the queue.
  void Consume(size_t count);

  // Drops everything and frees every block.
  void Clear();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // How many more bytes the queue wants before it reaches the high
  // watermark; 0 from the moment it reaches it until it drains to the low one.
  size_t room() const { return paused_ ? 0 : watermarks_.high - size_; }

 private:
  struct Block {
    std::unique_ptr<uint8_t[]> bytes;
    size_t capacity = 0;
    size_t begin = 0;  // first unconsumed byte
    size_t end = 0;    // one past the last appended byte
  };

  void UpdatePaused();

  Watermarks watermarks_;
  // A vector, not a deque: an empty std::deque already allocates (over 500
  // bytes in libstdc++), and an idle connection should hold next to nothing.
  // Blocks before `head_` are drained (freed); they are erased only once
  // they are at least half the vector, so consuming from the front is
  // amortized O(1) however many blocks a large queue limit lets accumulate.
  std::vector<Block> blocks_;
  size_t head_ = 0;  // The first block not yet drained.
  size_t size_ = 0;
  bool paused_ = false;
};

}  // namespace echo

#endif  // ECHO_LAB_CORE_WRITE_QUEUE_H_
