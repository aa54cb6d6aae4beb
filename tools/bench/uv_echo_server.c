/* uv_echo_server.c: the reference server of `tools/dev bench`, written the
 * way libuv's own guide writes one: a buffer allocated per read, one write
 * request per read that frees it on completion, no backpressure, no limits.
 * usage: uv_echo_server [PORT] (default 0: any free port; prints
 * "uv_echo_server: listening on 127.0.0.1:N") */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

typedef struct {
  uv_write_t request;
  uv_buf_t buffer;
} echo_write_t;

static void allocate(uv_handle_t* handle, size_t suggested, uv_buf_t* buffer) {
  (void)handle;
  buffer->base = malloc(suggested);
  buffer->len = buffer->base == NULL ? 0 : suggested;
}

static void release(uv_handle_t* handle) { free(handle); }

static void on_written(uv_write_t* request, int status) {
  echo_write_t* write = (echo_write_t*)request;
  if (status < 0 && !uv_is_closing((uv_handle_t*)request->handle)) {
    uv_close((uv_handle_t*)request->handle, release);
  }
  free(write->buffer.base);
  free(write);
}

static void on_read(uv_stream_t* client, ssize_t nread, const uv_buf_t* buffer) {
  if (nread > 0) {
    echo_write_t* write = malloc(sizeof(*write));
    write->buffer = uv_buf_init(buffer->base, (unsigned int)nread);
    uv_write(&write->request, client, &write->buffer, 1, on_written);
    return;
  }
  free(buffer->base);
  if (nread < 0 && !uv_is_closing((uv_handle_t*)client)) {
    uv_close((uv_handle_t*)client, release);
  }
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  uv_tcp_t* client = malloc(sizeof(*client));
  uv_tcp_init(server->loop, client);
  if (uv_accept(server, (uv_stream_t*)client) == 0) {
    uv_read_start((uv_stream_t*)client, allocate, on_read);
  } else {
    uv_close((uv_handle_t*)client, release);
  }
}

int main(int argc, char** argv) {
  const int port = argc > 1 ? atoi(argv[1]) : 0;
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t server;
  struct sockaddr_in address;
  uv_tcp_init(loop, &server);
  uv_ip4_addr("127.0.0.1", port, &address);
  int error = uv_tcp_bind(&server, (const struct sockaddr*)&address, 0);
  if (error == 0) error = uv_listen((uv_stream_t*)&server, SOMAXCONN, on_connection);
  if (error != 0) {
    fprintf(stderr, "uv_echo_server: cannot listen on 127.0.0.1:%d: %s\n", port,
            uv_strerror(error));
    return 1;
  }
  struct sockaddr_storage bound;
  int length = sizeof(bound);
  uv_tcp_getsockname(&server, (struct sockaddr*)&bound, &length);
  fprintf(stderr, "uv_echo_server: listening on 127.0.0.1:%d\n",
          ntohs(((struct sockaddr_in*)&bound)->sin_port));
  return uv_run(loop, UV_RUN_DEFAULT);
}
