#include "src/testing/fake_peer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace echo {

// The Socket a FakePeer hands out: every call is the peer's to answer.
class FakeSocket final : public Socket {
 public:
  explicit FakeSocket(FakePeer* peer) : peer_(peer) {}

  IoResult Read(uint8_t* buffer, size_t capacity) override {
    return RetryInterrupted([&] { return peer_->NextRead(buffer, capacity); },
                            IoDirection::kRead);
  }
  IoResult Write(ByteView bytes) override {
    return RetryInterrupted([&] { return peer_->NextWrite(bytes); },
                            IoDirection::kWrite);
  }
  IoResult ShutdownWrite() override {
    return RetryInterrupted([&] { return peer_->Shutdown(); },
                            IoDirection::kWrite);
  }
  void Close() override { peer_->Close(); }

 private:
  FakePeer* peer_;
};

void FakePeer::Reset() {
  reads_.clear();
  next_read_ = 0;
  inbound_.clear();
  inbound_taken_ = 0;
  writes_.clear();
  next_write_ = 0;
  idle_writes_ = IdleWrites::kAcceptAll;
  stale_errno_ = 0;
  received_.clear();
  shut_down_ = closed_ = false;
  calls_after_close_ = read_calls_ = eof_reads_ = read_errors_ = 0;
  write_calls_ = write_errors_ = 0;
}

std::unique_ptr<Socket> FakePeer::NewSocket() {
  return std::make_unique<FakeSocket>(this);
}

void FakePeer::Send(const void* bytes, size_t size) {
  if (size == 0) return;
  inbound_.append(static_cast<const char*>(bytes), size);
  reads_.push_back({Kind::kData, 0, size});
}
void FakePeer::ReadWouldBlock() { reads_.push_back({Kind::kWouldBlock, 0, 0}); }
void FakePeer::ReadInterrupted() { reads_.push_back({Kind::kInterrupted, 0, 0}); }
void FakePeer::CloseSendingSide() { reads_.push_back({Kind::kEof, 0, 0}); }
void FakePeer::ReadFails(int error_code) {
  reads_.push_back({Kind::kError, error_code, 0});
}

void FakePeer::AcceptUpTo(size_t count) { writes_.push_back({Kind::kData, 0, count}); }
void FakePeer::WriteWouldBlock() { writes_.push_back({Kind::kWouldBlock, 0, 0}); }
void FakePeer::WriteInterrupted() { writes_.push_back({Kind::kInterrupted, 0, 0}); }
void FakePeer::WriteFails(int error_code) {
  writes_.push_back({Kind::kError, error_code, 0});
}

size_t FakePeer::unread() const { return inbound_.size() - inbound_taken_; }

bool FakePeer::NoteCallAfterClose() {
  if (closed_) ++calls_after_close_;
  return closed_;
}

RawIo FakePeer::Succeeded(long value) {
  errno = stale_errno_;
  return {value, stale_errno_};
}

RawIo FakePeer::NextRead(uint8_t* buffer, size_t capacity) {
  ++read_calls_;
  if (NoteCallAfterClose()) return {-1, EBADF};
  if (next_read_ == reads_.size()) return {-1, EAGAIN};
  Step& step = reads_[next_read_];
  switch (step.kind) {
    case Kind::kData: {
      const size_t n = std::min(capacity, step.length);
      std::memcpy(buffer, inbound_.data() + inbound_taken_, n);
      inbound_taken_ += n;
      step.length -= n;
      if (step.length == 0) ++next_read_;
      return Succeeded(static_cast<long>(n));
    }
    case Kind::kEof:
      ++eof_reads_;
      return Succeeded(0);  // Sticky, like a real socket after FIN.
    case Kind::kWouldBlock:
      ++next_read_;
      return {-1, EAGAIN};
    case Kind::kInterrupted:
      ++next_read_;
      return {-1, EINTR};
    case Kind::kError:
      ++next_read_;
      ++read_errors_;
      return {-1, step.error_code};
  }
  return {-1, EINVAL};
}

RawIo FakePeer::NextWrite(ByteView bytes) {
  ++write_calls_;
  if (NoteCallAfterClose()) return {-1, EBADF};
  if (shut_down_) return {-1, EPIPE};
  size_t take = bytes.size;
  if (next_write_ < writes_.size()) {
    const Step step = writes_[next_write_++];
    switch (step.kind) {
      case Kind::kData:
        take = std::min(take, step.length);
        break;
      case Kind::kWouldBlock:
        return {-1, EAGAIN};
      case Kind::kInterrupted:
        return {-1, EINTR};
      case Kind::kError:
        ++write_errors_;
        return {-1, step.error_code};
      case Kind::kEof:
        return {-1, EPIPE};
    }
  } else if (idle_writes_ == IdleWrites::kWouldBlock) {
    return {-1, EAGAIN};
  }
  // A real send() of n > 0 bytes never returns 0; a zero budget is EAGAIN.
  if (take == 0) return {-1, EAGAIN};
  received_.append(reinterpret_cast<const char*>(bytes.data), take);
  return Succeeded(static_cast<long>(take));
}

RawIo FakePeer::Shutdown() {
  if (NoteCallAfterClose()) return {-1, EBADF};
  shut_down_ = true;
  return Succeeded(0);
}

void FakePeer::Close() {
  // Close is idempotent on the Socket interface; a second one is still a
  // call after close worth counting.
  NoteCallAfterClose();
  closed_ = true;
}

}  // namespace echo
