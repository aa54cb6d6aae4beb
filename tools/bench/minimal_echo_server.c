/* minimal_echo_server.c: the speed limit of `tools/dev bench`, the least work
 * a TCP echo server can do on Linux: one thread, level-triggered epoll, one
 * read() per readiness into a 64 KiB buffer, written straight back; what a
 * partial write leaves is buffered without bound and flushed on EPOLLOUT.
 * usage: minimal_echo_server PORT (0: any free port; prints
 * "minimal_echo_server: listening on 127.0.0.1:N") */

#define _GNU_SOURCE /* accept4() */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kBufferSize = 64 * 1024, kMaxEvents = 256 };

typedef struct {
  int fd;
  char* pending; /* Bytes the socket has not taken yet, in order. */
  size_t length, capacity;
} connection_t;

static int epoll_fd;
static char buffer[kBufferSize];

static void watch(connection_t* c, int operation, uint32_t events) {
  struct epoll_event event = {.events = events, .data.ptr = c};
  epoll_ctl(epoll_fd, operation, c->fd, &event);
}

static void drop(connection_t* c) {
  close(c->fd); /* Leaves the epoll set by itself. */
  free(c->pending);
  free(c);
}

/* Appends to the pending bytes; false if out of memory. Nothing to keep
   is the common case (the socket took it all), and `pending` may still be
   NULL then: pointer arithmetic on it would be undefined. */
static int keep(connection_t* c, const char* bytes, size_t n) {
  if (n == 0) return 1;
  if (c->length + n > c->capacity) {
    size_t capacity = c->capacity ? c->capacity : kBufferSize;
    while (capacity < c->length + n) capacity *= 2;
    char* grown = realloc(c->pending, capacity);
    if (grown == NULL) return 0;
    c->pending = grown;
    c->capacity = capacity;
  }
  memcpy(c->pending + c->length, bytes, n);
  c->length += n;
  return 1;
}

/* How many of `n` bytes the socket took (0 if full), or -1 on an error. */
static ssize_t send_some(int fd, const char* bytes, size_t n) {
  ssize_t written = write(fd, bytes, n);
  if (written < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  return written;
}

static void on_readable(connection_t* c) {
  const ssize_t n = read(c->fd, buffer, sizeof(buffer));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  const int was_flushed = c->length == 0; /* Else the bytes queue up behind. */
  const ssize_t written = n > 0 && was_flushed ? send_some(c->fd, buffer, (size_t)n) : 0;
  if (n <= 0 || written < 0 || !keep(c, buffer + written, (size_t)(n - written))) {
    drop(c);
  } else if (was_flushed && c->length > 0) {
    watch(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
  }
}

static void on_writable(connection_t* c) {
  const ssize_t written = send_some(c->fd, c->pending, c->length);
  if (written < 0) {
    drop(c);
    return;
  }
  memmove(c->pending, c->pending + written, c->length - (size_t)written);
  c->length -= (size_t)written;
  if (c->length == 0) watch(c, EPOLL_CTL_MOD, EPOLLIN);
}

static void on_listener(int listener) {
  int fd;
  while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
    connection_t* c = calloc(1, sizeof(*c));
    if (c == NULL) {
      close(fd);
      continue;
    }
    c->fd = fd;
    watch(c, EPOLL_CTL_ADD, EPOLLIN);
  }
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, (struct sockaddr*)&address, length) != 0 ||
      listen(fd, SOMAXCONN) != 0 || getsockname(fd, (struct sockaddr*)&address, &length) != 0) {
    fprintf(stderr, "minimal_echo_server: cannot listen on 127.0.0.1:%d: %s\n", port,
            strerror(errno));
    exit(1);
  }
  fprintf(stderr, "minimal_echo_server: listening on 127.0.0.1:%d\n", ntohs(address.sin_port));
  return fd;
}

int main(int argc, char** argv) {
  const int listener = listen_on(argc > 1 ? atoi(argv[1]) : 0);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the listener. */
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
  struct epoll_event ready[kMaxEvents];
  for (;;) {
    const int count = epoll_wait(epoll_fd, ready, kMaxEvents, -1);
    for (int i = 0; i < count; ++i) {
      connection_t* c = ready[i].data.ptr;
      if (c == NULL) {
        on_listener(listener);
      } else if (ready[i].events & EPOLLOUT) {
        on_writable(c);
      } else {
        on_readable(c);
      }
    }
  }
}
