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
 * Left out: message parsing, sequence tracking, NETLINK_NO_ENOBUFS by default, mmap rings.
 */
#include "wren.h"

#include <errno.h>
#include <linux/netlink.h>
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

typedef struct {
  uv_poll_t poll;
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

static void nl_do_close(nl_t *s) {
  if (s->closed) return;
  s->closed = true;
  s->reading = false;
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
      {"nlPortId", NULL, nl_port_id, NULL, NULL, NULL, napi_default, NULL},
      {"nlReading", NULL, nl_reading, NULL, NULL, NULL, napi_default, NULL},
      {"nlClose", NULL, nl_close, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
