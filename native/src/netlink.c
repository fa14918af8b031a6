/*
 * Netlink sockets (RFC 3549 describes the protocol; Linux netlink(7), rtnetlink(7)): the
 * transport under src/fib/netlink/socket.ts. It opens a NETLINK_ROUTE (or any other
 * protocol) socket, sends whole request buffers, and reads on a uv_poll: each readiness
 * callback drains with MSG_DONTWAIT up to NL_MAX_DATAGRAMS datagrams or NL_MAX_BYTES
 * bytes and leaves the rest for the next loop turn (an uncapped drain of an 8 MiB
 * backlog was measured to stall the event loop for ~260 ms). Each datagram reaches JS as
 * one Buffer (it may hold many nlmsghdr messages: parsing is the codec's job). ENOBUFS
 * (the kernel dropped multicast messages because the receive buffer was full) is
 * reported through its own callback so the FIB syncer can re-dump.
 *
 * Queued sends (nlSendThread / nlSendQueued): rtnetlink does a request's work (a route
 * insert) synchronously inside sendmsg, in the sender's thread. For bulk route writes a
 * per-socket sender thread takes copies of the request buffers off a FIFO and sends them in
 * order, so the kernel's work runs beside the JS thread instead of inside it. Replies still
 * arrive on the uv_poll; a failed send is reported with the id the caller gave the buffer.
 * Synchronous nlSend does not wait for the queue: callers that mix both (a dump after
 * writes) wait for the writes' replies first.
 *
 * nlFilterPortId attaches a classic BPF socket filter that drops messages whose nlmsg_pid is
 * a given port id: on an event socket, the echoes of our own requests (the kernel stamps a
 * notification with the requester's port id and seq), so a bulk of our writes does not
 * flood it.
 * Left out: message parsing, sequence tracking, NETLINK_NO_ENOBUFS by default, mmap rings.
 */
#include "wren.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NL_BUF_SIZE (64 * 1024)      /* > the kernel's 32 KiB dump skb limit */
#define NL_MAX_DATAGRAMS 64          /* per readiness callback */
#define NL_MAX_BYTES (4 * 1024 * 1024)

/* One queued request buffer. */
typedef struct nl_msg {
  struct nl_msg *next;
  uint32_t id;
  size_t len;
  unsigned char data[];
} nl_msg;

/* One failed queued send, waiting for the main thread. */
typedef struct nl_fail {
  struct nl_fail *next;
  uint32_t id;
  int err;
} nl_fail;

typedef struct {
  uv_poll_t poll;
  /* sender thread (started by nlSendThread) */
  bool sender;
  bool stopping;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  nl_msg *head, *tail;
  nl_fail *fails;
  uv_async_t async;
  napi_ref on_send_error;
  napi_env env;
  napi_ref on_message, on_overrun, on_error;
  napi_async_context ctx;
  unsigned char *buf;
  int fd;
  int refs;     /* uv handle + JS external */
  bool closed;
  bool reading;
} nl_t;

static void nl_unref(nl_t *s) {
  if (--s->refs == 0) {
    /* destroyed last: a JS callback may close the socket inside a callback scope using it */
    napi_async_destroy(s->env, s->ctx);
    free(s->buf);
    free(s);
  }
}

static void nl_handle_closed(uv_handle_t *h) { nl_unref((nl_t *)h->data); }

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* Calls one of the stored callbacks inside an already open callback scope. false = stop. */
static bool nl_call(nl_t *s, napi_ref which, int argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value cb, recv, result;
  if (napi_get_reference_value(env, which, &cb) != napi_ok || cb == NULL) return false;
  napi_get_undefined(env, &recv);
  if (napi_call_function(env, recv, cb, (size_t)argc, argv, &result) != napi_ok) {
    wren_report_pending(env);
    return false;
  }
  return !s->closed && s->reading;
}

static void nl_readable(uv_poll_t *p, int status, int events) {
  nl_t *s = (nl_t *)p->data;
  if (s->closed || !s->reading) return;
  napi_env env = s->env;
  napi_handle_scope hscope;
  napi_callback_scope cscope;
  napi_value resource;
  napi_open_handle_scope(env, &hscope);
  napi_create_object(env, &resource);
  napi_open_callback_scope(env, resource, s->ctx, &cscope);
  s->refs++; /* keep the struct alive across JS calls that may close and drop it */
  /*
   * libuv reports EPOLLERR as status UV_EBADF and stops the poll. On a netlink socket
   * EPOLLERR means a pending socket error, normally ENOBUFS: recv() returns (and clears)
   * it, so drain as usual and re-arm. Only if nothing at all could be read is the error
   * passed on (and the poll left stopped).
   */
  bool polled_error = status < 0;
  bool progress = false, fatal = false;
  size_t bytes = 0;
  for (int n = 0; n < NL_MAX_DATAGRAMS && bytes < NL_MAX_BYTES; n++) {
    ssize_t r = recv(s->fd, s->buf, NL_BUF_SIZE, MSG_DONTWAIT | MSG_TRUNC);
    if (r < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      if (err == EINTR) continue;
      if (err == ENOBUFS) {
        progress = true;
        if (!nl_call(s, s->on_overrun, 0, NULL)) break;
        continue;
      }
      fatal = true;
      napi_value e = wren_errno_error(env, err, "recv");
      nl_call(s, s->on_error, 1, &e);
      break;
    }
    progress = true;
    if (r > NL_BUF_SIZE) {
      napi_value e = wren_errno_error(env, EMSGSIZE, "recv");
      if (!nl_call(s, s->on_error, 1, &e)) break;
      continue;
    }
    bytes += (size_t)r;
    napi_value b;
    void *data;
    if (napi_create_buffer_copy(env, (size_t)r, s->buf, &data, &b) != napi_ok) break;
    if (!nl_call(s, s->on_message, 1, &b)) break;
  }
  if (polled_error && fatal && !s->closed) s->reading = false; /* libuv stopped the poll */
  if (polled_error && !s->closed && s->reading && !fatal) {
    int rc = progress ? uv_poll_start(&s->poll, UV_READABLE, nl_readable) : status;
    if (rc < 0) {
      s->reading = false;
      napi_value e = wren_errno_error(env, -rc, "uv_poll");
      nl_call(s, s->on_error, 1, &e);
    }
  }
  napi_close_callback_scope(env, cscope);
  napi_close_handle_scope(env, hscope);
  nl_unref(s);
}

static void nl_stop_sender(nl_t *s) {
  if (!s->sender) return;
  pthread_mutex_lock(&s->mu);
  s->stopping = true;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL); /* at most the send in progress */
  s->sender = false;
  for (nl_msg *m = s->head, *n; m; m = n) {
    n = m->next;
    free(m);
  }
  for (nl_fail *f = s->fails, *n; f; f = n) {
    n = f->next;
    free(f);
  }
  s->head = s->tail = NULL;
  s->fails = NULL;
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  uv_close((uv_handle_t *)&s->async, nl_handle_closed);
  napi_delete_reference(s->env, s->on_send_error);
}

static void nl_do_close(nl_t *s) {
  if (s->closed) return;
  s->closed = true;
  s->reading = false;
  nl_stop_sender(s);
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, nl_handle_closed);
  close(s->fd);
  napi_delete_reference(s->env, s->on_message);
  napi_delete_reference(s->env, s->on_overrun);
  napi_delete_reference(s->env, s->on_error);
}

static void nl_finalize(napi_env env, void *data, void *hint) {
  nl_t *s = data;
  nl_do_close(s);
  nl_unref(s);
}

static nl_t *nl_arg(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < want || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "netlink handle expected");
    return NULL;
  }
  nl_t *s = data;
  if (s->closed) {
    wren_throw_errno(env, EBADF, "netlink");
    return NULL;
  }
  return s;
}

/*
 * nlOpen(protocol, groupsMask, onMessage(buf), onOverrun(), onError(err)): handle
 * socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC|SOCK_NONBLOCK, protocol), bind to
 * { nl_pid: 0 (the kernel assigns the port id), nl_groups: groupsMask (groups 1..32) },
 * then start reading.
 */
static napi_value nl_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int protocol, groups;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return wren_throw_type(env, "ERR_MISSING_ARGS", "nlOpen(protocol, groups, onMessage, onOverrun, onError)");
  if (!wren_arg_int(env, argv[0], "protocol", &protocol) || !wren_arg_int(env, argv[1], "groups", &groups)) return NULL;
  for (int i = 2; i < 5; i++) {
    napi_valuetype t;
    WREN_CHECK(env, napi_typeof(env, argv[i], &t));
    if (t != napi_function) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "callbacks must be functions");
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) return wren_throw_errno(env, errno, "socket");
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = (uint32_t)groups;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int err = errno;
    close(fd);
    return wren_throw_errno(env, err, "bind");
  }
  uv_loop_t *loop;
  WREN_CHECK(env, napi_get_uv_event_loop(env, &loop));
  nl_t *s = calloc(1, sizeof *s);
  unsigned char *buf = malloc(NL_BUF_SIZE);
  if (!s || !buf) {
    free(s);
    free(buf);
    close(fd);
    return wren_throw_errno(env, ENOMEM, "malloc");
  }
  s->buf = buf;
  s->env = env;
  s->fd = fd;
  int rc = uv_poll_init(loop, &s->poll, fd);
  if (rc < 0) {
    free(buf);
    free(s);
    close(fd);
    return wren_throw_errno(env, -rc, "uv_poll_init");
  }
  s->poll.data = s;
  s->refs = 2;
  napi_value name, handle;
  napi_create_string_utf8(env, "WrenNetlink", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &s->ctx);
  napi_create_reference(env, argv[2], 1, &s->on_message);
  napi_create_reference(env, argv[3], 1, &s->on_overrun);
  napi_create_reference(env, argv[4], 1, &s->on_error);
  if (napi_create_external(env, s, nl_finalize, NULL, &handle) != napi_ok) {
    s->refs = 1;
    nl_do_close(s);
    return wren_throw_errno(env, ENOMEM, "napi_create_external");
  }
  rc = uv_poll_start(&s->poll, UV_READABLE, nl_readable);
  if (rc < 0) {
    nl_do_close(s);
    return wren_throw_errno(env, -rc, "uv_poll_start");
  }
  s->reading = true;
  return handle;
}

/* nlMembership(h, group, join: boolean): NETLINK_ADD_MEMBERSHIP / NETLINK_DROP_MEMBERSHIP */
static napi_value nl_membership(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  nl_t *s = nl_arg(env, info, 3, argv);
  if (!s) return NULL;
  int group;
  bool join;
  if (!wren_arg_int(env, argv[1], "group", &group)) return NULL;
  if (napi_get_value_bool(env, argv[2], &join) != napi_ok)
    return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "join must be a boolean");
  if (setsockopt(s->fd, SOL_NETLINK, join ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP, &group,
                 sizeof group) < 0)
    return wren_throw_errno(env, errno, "setsockopt");
  return undefined(env);
}

/*
 * nlSetRcvBuf(h, bytes): number — SO_RCVBUFFORCE (needs CAP_NET_ADMIN, ignores
 * rmem_max), falling back to SO_RCVBUF on EPERM; returns the size the kernel reports
 * (twice the request: it counts its bookkeeping).
 */
static napi_value nl_set_rcvbuf(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  nl_t *s = nl_arg(env, info, 2, argv);
  if (!s) return NULL;
  int bytes;
  if (!wren_arg_int(env, argv[1], "bytes", &bytes)) return NULL;
  if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0) {
    if (errno != EPERM) return wren_throw_errno(env, errno, "setsockopt");
    if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0)
      return wren_throw_errno(env, errno, "setsockopt");
  }
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0) return wren_throw_errno(env, errno, "getsockopt");
  napi_value r;
  WREN_CHECK(env, napi_create_int32(env, got, &r));
  return r;
}

/* nlSetOption(h, option, value): an int option at SOL_NETLINK (NETLINK_EXT_ACK = 11,
 * NETLINK_GET_STRICT_CHK = 12, NETLINK_NO_ENOBUFS = 5, NETLINK_CAP_ACK = 10, ...). */
static napi_value nl_set_option(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  nl_t *s = nl_arg(env, info, 3, argv);
  if (!s) return NULL;
  int opt, value;
  if (!wren_arg_int(env, argv[1], "option", &opt) || !wren_arg_int(env, argv[2], "value", &value)) return NULL;
  if (setsockopt(s->fd, SOL_NETLINK, opt, &value, sizeof value) < 0) return wren_throw_errno(env, errno, "setsockopt");
  return undefined(env);
}

/* nlSend(h, buf: Buffer | Uint8Array): number — one sendmsg to the kernel (nl_pid 0). */
static napi_value nl_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  nl_t *s = nl_arg(env, info, 2, argv);
  if (!s) return NULL;
  void *data = NULL;
  size_t len = 0;
  bool is_ta = false;
  WREN_CHECK(env, napi_is_typedarray(env, argv[1], &is_ta));
  if (!is_ta) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "buffer must be a Buffer or Uint8Array");
  napi_typedarray_type tt;
  napi_value ab;
  size_t off;
  WREN_CHECK(env, napi_get_typedarray_info(env, argv[1], &tt, &len, &data, &ab, &off));
  if (tt != napi_uint8_array) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "buffer must be a Uint8Array");
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr msg = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1};
  ssize_t r;
  do r = sendmsg(s->fd, &msg, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return wren_throw_errno(env, errno, "sendmsg");
  napi_value out;
  WREN_CHECK(env, napi_create_int64(env, (int64_t)r, &out));
  return out;
}

/* The sender thread: sends queued buffers in order until told to stop. */
static void *nl_sender_main(void *arg) {
  nl_t *s = arg;
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  for (;;) {
    pthread_mutex_lock(&s->mu);
    while (!s->head && !s->stopping) pthread_cond_wait(&s->cv, &s->mu);
    if (s->stopping) {
      pthread_mutex_unlock(&s->mu);
      return NULL;
    }
    nl_msg *m = s->head;
    s->head = m->next;
    if (!s->head) s->tail = NULL;
    pthread_mutex_unlock(&s->mu);
    struct iovec iov = {.iov_base = m->data, .iov_len = m->len};
    struct msghdr msg = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t r;
    for (;;) {
      r = sendmsg(s->fd, &msg, 0);
      if (r >= 0 || errno == EINTR) {
        if (r >= 0) break;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd p = {.fd = s->fd, .events = POLLOUT};
        poll(&p, 1, 100);
        if (s->stopping) break;
        continue;
      }
      break;
    }
    if (r < 0) {
      nl_fail *f = malloc(sizeof *f);
      if (f) {
        f->id = m->id;
        f->err = errno;
        pthread_mutex_lock(&s->mu);
        f->next = s->fails;
        s->fails = f;
        pthread_mutex_unlock(&s->mu);
        uv_async_send(&s->async);
      }
    }
    free(m);
  }
}

/* Main thread: report failed queued sends as onSendError(id, err). */
static void nl_async_cb(uv_async_t *a) {
  nl_t *s = (nl_t *)a->data;
  if (s->closed || !s->sender) return;
  pthread_mutex_lock(&s->mu);
  nl_fail *f = s->fails;
  s->fails = NULL;
  pthread_mutex_unlock(&s->mu);
  if (!f) return;
  napi_env env = s->env;
  napi_handle_scope hscope;
  napi_callback_scope cscope;
  napi_value resource;
  napi_open_handle_scope(env, &hscope);
  napi_create_object(env, &resource);
  napi_open_callback_scope(env, resource, s->ctx, &cscope);
  s->refs++;
  for (nl_fail *n; f; f = n) {
    n = f->next;
    if (!s->closed) {
      napi_value argv[2], cb, recv, result;
      napi_create_uint32(env, f->id, &argv[0]);
      argv[1] = wren_errno_error(env, f->err, "sendmsg");
      if (napi_get_reference_value(env, s->on_send_error, &cb) == napi_ok && cb) {
        napi_get_undefined(env, &recv);
        if (napi_call_function(env, recv, cb, 2, argv, &result) != napi_ok) wren_report_pending(env);
      }
    }
    free(f);
  }
  napi_close_callback_scope(env, cscope);
  napi_close_handle_scope(env, hscope);
  nl_unref(s);
}

/* nlSendThread(h, onSendError(id, err)): starts the socket's sender thread (once). */
static napi_value nl_send_thread(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  nl_t *s = nl_arg(env, info, 2, argv);
  if (!s) return NULL;
  if (s->sender) return undefined(env);
  napi_valuetype t;
  WREN_CHECK(env, napi_typeof(env, argv[1], &t));
  if (t != napi_function) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "onSendError must be a function");
  uv_loop_t *loop;
  WREN_CHECK(env, napi_get_uv_event_loop(env, &loop));
  int rc = uv_async_init(loop, &s->async, nl_async_cb);
  if (rc < 0) return wren_throw_errno(env, -rc, "uv_async_init");
  s->async.data = s;
  uv_unref((uv_handle_t *)&s->async); /* the poll keeps the loop alive, not this */
  s->refs++;                          /* released by the async handle's close callback */
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->head = s->tail = NULL;
  s->fails = NULL;
  s->stopping = false;
  napi_create_reference(env, argv[1], 1, &s->on_send_error);
  rc = pthread_create(&s->thread, NULL, nl_sender_main, s);
  if (rc != 0) {
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    napi_delete_reference(env, s->on_send_error);
    uv_close((uv_handle_t *)&s->async, nl_handle_closed);
    return wren_throw_errno(env, rc, "pthread_create");
  }
  s->sender = true;
  return undefined(env);
}

/* nlSendQueued(h, buf, id): copies buf onto the sender thread's FIFO (nlSendThread first). */
static napi_value nl_send_queued(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  nl_t *s = nl_arg(env, info, 3, argv);
  if (!s) return NULL;
  if (!s->sender) return wren_throw_errno(env, ENOTCONN, "nlSendQueued");
  bool is_ta = false;
  WREN_CHECK(env, napi_is_typedarray(env, argv[1], &is_ta));
  if (!is_ta) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "buffer must be a Buffer or Uint8Array");
  napi_typedarray_type tt;
  napi_value ab;
  size_t off, len;
  void *data;
  WREN_CHECK(env, napi_get_typedarray_info(env, argv[1], &tt, &len, &data, &ab, &off));
  if (tt != napi_uint8_array) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "buffer must be a Uint8Array");
  uint32_t id;
  if (napi_get_value_uint32(env, argv[2], &id) != napi_ok) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "id must be a number");
  nl_msg *m = malloc(sizeof *m + len);
  if (!m) return wren_throw_errno(env, ENOMEM, "malloc");
  m->next = NULL;
  m->id = id;
  m->len = len;
  memcpy(m->data, data, len);
  pthread_mutex_lock(&s->mu);
  if (s->tail) s->tail->next = m;
  else s->head = m;
  s->tail = m;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return undefined(env);
}

/*
 * nlFilterPortId(h, portId): SO_ATTACH_FILTER with a classic BPF program that drops every
 * message whose first nlmsghdr has nlmsg_pid == portId (route notifications carry one
 * message each) and accepts the rest.
 */
static napi_value nl_filter_port_id(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  nl_t *s = nl_arg(env, info, 2, argv);
  if (!s) return NULL;
  uint32_t pid;
  if (napi_get_value_uint32(env, argv[1], &pid) != napi_ok) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "portId must be a number");
  /* BPF word loads are big-endian; nlmsg_pid is in host order: compare with its byte image. */
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12), /* offsetof(struct nlmsghdr, nlmsg_pid) */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(pid), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
  };
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  if (setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) return wren_throw_errno(env, errno, "setsockopt");
  return undefined(env);
}

/* nlPortId(h): number — the port id (nl_pid) the kernel assigned at bind. */
static napi_value nl_port_id(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  nl_t *s = nl_arg(env, info, 1, argv);
  if (!s) return NULL;
  struct sockaddr_nl sa;
  socklen_t len = sizeof sa;
  if (getsockname(s->fd, (struct sockaddr *)&sa, &len) < 0) return wren_throw_errno(env, errno, "getsockname");
  napi_value r;
  WREN_CHECK(env, napi_create_uint32(env, sa.nl_pid, &r));
  return r;
}

/* nlReading(h, on: boolean): pause / resume the poll (datagrams queue in the kernel). */
static napi_value nl_reading(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  nl_t *s = nl_arg(env, info, 2, argv);
  if (!s) return NULL;
  bool on;
  if (napi_get_value_bool(env, argv[1], &on) != napi_ok)
    return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "on must be a boolean");
  if (on && !s->reading) {
    int rc = uv_poll_start(&s->poll, UV_READABLE, nl_readable);
    if (rc < 0) return wren_throw_errno(env, -rc, "uv_poll_start");
    s->reading = true;
  } else if (!on && s->reading) {
    uv_poll_stop(&s->poll);
    s->reading = false;
  }
  return undefined(env);
}

/* nlClose(h): stop the poll, close the fd, drop the callbacks. Idempotent. */
static napi_value nl_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || !data)
    return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "netlink handle expected");
  nl_do_close((nl_t *)data);
  return undefined(env);
}

napi_status wren_init_netlink(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"nlOpen", NULL, nl_open, NULL, NULL, NULL, napi_default, NULL},
      {"nlMembership", NULL, nl_membership, NULL, NULL, NULL, napi_default, NULL},
      {"nlSetRcvBuf", NULL, nl_set_rcvbuf, NULL, NULL, NULL, napi_default, NULL},
      {"nlSetOption", NULL, nl_set_option, NULL, NULL, NULL, napi_default, NULL},
      {"nlSend", NULL, nl_send, NULL, NULL, NULL, napi_default, NULL},
      {"nlSendThread", NULL, nl_send_thread, NULL, NULL, NULL, napi_default, NULL},
      {"nlSendQueued", NULL, nl_send_queued, NULL, NULL, NULL, napi_default, NULL},
      {"nlFilterPortId", NULL, nl_filter_port_id, NULL, NULL, NULL, napi_default, NULL},
      {"nlPortId", NULL, nl_port_id, NULL, NULL, NULL, napi_default, NULL},
      {"nlReading", NULL, nl_reading, NULL, NULL, NULL, napi_default, NULL},
      {"nlClose", NULL, nl_close, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
