/*
 * TCP sockets for BGP (RFC 4271 §8: the TCP connection) with the options Node cannot set:
 *   - TCP_MD5SIG (RFC 2385 TCP MD5 signature), optionally TCP_MD5SIG_EXT with a prefix
 *     length (a key for a range of peers);
 *   - IP_TTL / IPV6_UNICAST_HOPS (outgoing TTL: 1 for direct eBGP, N for multihop,
 *     255 for GTSM) and IP_MINTTL / IPV6_MINHOPCOUNT (RFC 5082 GTSM minimum TTL);
 *   - bind-before-connect and a non-blocking connect whose completion is awaited on a
 *     uv_poll (writability), then SO_ERROR tells the result.
 * Every function works on a plain fd number, so the same calls serve sockets made here
 * (outgoing, approach C) and Node's own listener / accepted sockets (approach A:
 * `server._handle.fd`). IPv6 sockets also get the IPv4 option (IP_TTL, IP_MINTTL), which
 * Linux applies to v4-mapped traffic on a dual-stack socket, and MD5 keys for IPv4 peers
 * are installed as v4-mapped addresses on IPv6 sockets.
 * Left out: TCP-AO (RFC 5925; CONFIG_TCP_AO is off on the target kernels), name
 * resolution (peers are addresses), SO_BINDTODEVICE / VRF.
 * setNetns() (setns(2) of the calling thread) exists for tests that run sockets inside
 * a network namespace they made.
 */
#include "wren.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

#define ADDR_CAP 96 /* longest IPv6 text + "%" + interface name */

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static int socket_domain(int fd, int *domain) {
  socklen_t len = sizeof *domain;
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, domain, &len);
}

/*
 * Text address (+ optional "%scope" for IPv6 link-local) → sockaddr for a socket of
 * `domain`. An IPv4 address for an AF_INET6 socket becomes ::ffff:a.b.c.d.
 * Returns 0, or an errno (EINVAL: not an address; EAFNOSUPPORT: IPv6 for an IPv4 socket).
 */
static int parse_sockaddr(const char *text, int port, int domain, struct sockaddr_storage *ss,
                          socklen_t *len) {
  char addr[ADDR_CAP];
  strncpy(addr, text, sizeof addr - 1);
  addr[sizeof addr - 1] = 0;
  char *scope = strchr(addr, '%');
  if (scope) *scope++ = 0;
  memset(ss, 0, sizeof *ss);
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, addr, &a4) == 1) {
    if (scope) return EINVAL;
    if (domain == AF_INET) {
      struct sockaddr_in *sin = (struct sockaddr_in *)ss;
      sin->sin_family = AF_INET;
      sin->sin_port = htons((uint16_t)port);
      sin->sin_addr = a4;
      *len = sizeof *sin;
    } else {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons((uint16_t)port);
      sin6->sin6_addr.s6_addr[10] = 0xff;
      sin6->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&sin6->sin6_addr.s6_addr[12], &a4, 4);
      *len = sizeof *sin6;
    }
    return 0;
  }
  if (inet_pton(AF_INET6, addr, &a6) == 1) {
    if (domain != AF_INET6) return EAFNOSUPPORT;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    sin6->sin6_addr = a6;
    if (scope) {
      char *end;
      unsigned long idx = strtoul(scope, &end, 10);
      if (*scope == 0 || *end != 0) idx = if_nametoindex(scope);
      if (idx == 0) return ENODEV;
      sin6->sin6_scope_id = (uint32_t)idx;
    }
    *len = sizeof *sin6;
    return 0;
  }
  return EINVAL;
}

/* Reads (fd, address string, port) arguments and the socket's domain. */
static bool fd_addr_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                         int *fd, int *domain, char *addr) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "missing arguments");
    return false;
  }
  if (!wren_arg_int(env, argv[0], "fd", fd)) return false;
  if (!wren_arg_string(env, argv[1], "address", addr, ADDR_CAP)) return false;
  if (socket_domain(*fd, domain) < 0) {
    wren_throw_errno(env, errno, "getsockopt");
    return false;
  }
  return true;
}

/* tcpSocket(family: 4 | 6): number — non-blocking, close-on-exec stream socket. */
static napi_value tcp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int family;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !wren_arg_int(env, argv[0], "family", &family)) return NULL;
  if (family != 4 && family != 6) return wren_throw_type(env, "ERR_INVALID_ARG_VALUE", "family must be 4 or 6");
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return wren_throw_errno(env, errno, "socket");
  napi_value r;
  WREN_CHECK(env, napi_create_int32(env, fd, &r));
  return r;
}

/* socketFamily(fd): 4 | 6 (or 0 for anything else). */
static napi_value socket_family(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int fd, domain;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !wren_arg_int(env, argv[0], "fd", &fd)) return NULL;
  if (socket_domain(fd, &domain) < 0) return wren_throw_errno(env, errno, "getsockopt");
  napi_value r;
  WREN_CHECK(env, napi_create_int32(env, domain == AF_INET ? 4 : domain == AF_INET6 ? 6 : 0, &r));
  return r;
}

/*
 * The (fd, address, port) arguments of bind and connect as a sockaddr of the socket's
 * family. On failure a JS exception is pending (errors named after `syscall`); returns 0.
 */
static int fd_sockaddr_args(napi_env env, napi_callback_info info, const char *syscall, int *fd,
                            struct sockaddr_storage *ss, socklen_t *len) {
  napi_value argv[3];
  int domain, port;
  char addr[ADDR_CAP];
  if (!fd_addr_args(env, info, 3, argv, fd, &domain, addr)) return 0;
  if (!wren_arg_int(env, argv[2], "port", &port)) return 0;
  int err = parse_sockaddr(addr, port, domain, ss, len);
  if (err) {
    wren_throw_errno(env, err, syscall);
    return 0;
  }
  return 1;
}

/* bind(fd, address, port): void */
static napi_value tcp_bind(napi_env env, napi_callback_info info) {
  int fd;
  struct sockaddr_storage ss;
  socklen_t len;
  if (!fd_sockaddr_args(env, info, "bind", &fd, &ss, &len)) return NULL;
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) return wren_throw_errno(env, errno, "bind");
  return undefined(env);
}

/* connect(fd, address, port): boolean — true if connected at once, false if EINPROGRESS. */
static napi_value tcp_connect(napi_env env, napi_callback_info info) {
  int fd;
  struct sockaddr_storage ss;
  socklen_t len;
  if (!fd_sockaddr_args(env, info, "connect", &fd, &ss, &len)) return NULL;
  int rc;
  do rc = connect(fd, (struct sockaddr *)&ss, len);
  while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno != EINPROGRESS) return wren_throw_errno(env, errno, "connect");
  napi_value r;
  WREN_CHECK(env, napi_get_boolean(env, rc == 0, &r));
  return r;
}

/*
 * setMd5(fd, peer, key: Buffer | null, prefixLen: number): void
 * struct tcp_md5sig (216 bytes):
 *   tcpm_addr      sockaddr_storage (128)  peer; port ignored
 *   tcpm_flags     u8    TCP_MD5SIG_FLAG_PREFIX when prefixLen >= 0 (TCP_MD5SIG_EXT)
 *   tcpm_prefixlen u8
 *   tcpm_keylen    u16   0 removes the key
 *   pad            u32
 *   tcpm_key       u8[80]
 */
static napi_value tcp_set_md5(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int fd, domain, prefix;
  char addr[ADDR_CAP];
  if (!fd_addr_args(env, info, 4, argv, &fd, &domain, addr)) return NULL;
  if (!wren_arg_int(env, argv[3], "prefixLen", &prefix)) return NULL;
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  socklen_t alen;
  int err = parse_sockaddr(addr, 0, domain, &sig.tcpm_addr, &alen);
  if (err) return wren_throw_errno(env, err, "setsockopt");
  napi_valuetype t;
  WREN_CHECK(env, napi_typeof(env, argv[2], &t));
  if (t != napi_null && t != napi_undefined) {
    bool isbuf = false;
    void *data;
    size_t klen;
    WREN_CHECK(env, napi_is_buffer(env, argv[2], &isbuf));
    if (!isbuf) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "key must be a Buffer or null");
    WREN_CHECK(env, napi_get_buffer_info(env, argv[2], &data, &klen));
    if (klen == 0 || klen > TCP_MD5SIG_MAXKEYLEN)
      return wren_throw_type(env, "ERR_INVALID_ARG_VALUE", "MD5 key must be 1..80 bytes");
    memcpy(sig.tcpm_key, data, klen);
    sig.tcpm_keylen = (uint16_t)klen;
  }
  int opt = TCP_MD5SIG;
  if (prefix >= 0) {
    int maxp = ((struct sockaddr *)&sig.tcpm_addr)->sa_family == AF_INET ? 32 : 128;
    /* an IPv4 prefix on an IPv6 socket is a prefix of the v4-mapped address */
    if (domain == AF_INET6 && strchr(addr, ':') == NULL) prefix += 96;
    if (prefix > maxp) return wren_throw_type(env, "ERR_INVALID_ARG_VALUE", "prefixLen out of range");
    opt = TCP_MD5SIG_EXT;
    sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    sig.tcpm_prefixlen = (uint8_t)prefix;
  }
  if (setsockopt(fd, IPPROTO_TCP, opt, &sig, sizeof sig) < 0) return wren_throw_errno(env, errno, "setsockopt");
  return undefined(env);
}

/* Sets (or, when get != NULL, reads) the v4 and/or v6 flavour of an int option. */
static napi_value ttl_option(napi_env env, napi_callback_info info, int opt4, int opt6, bool set) {
  size_t argc = 2;
  napi_value argv[2];
  int fd, value = 0, domain;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < (set ? 2u : 1u)) return wren_throw_type(env, "ERR_MISSING_ARGS", "missing arguments");
  if (!wren_arg_int(env, argv[0], "fd", &fd)) return NULL;
  if (set) {
    if (!wren_arg_int(env, argv[1], "value", &value)) return NULL;
    if (value < 0 || value > 255) return wren_throw_type(env, "ERR_INVALID_ARG_VALUE", "TTL must be 0..255");
  }
  if (socket_domain(fd, &domain) < 0) return wren_throw_errno(env, errno, "getsockopt");
  if (!set) {
    socklen_t len = sizeof value;
    int rc = domain == AF_INET6 ? getsockopt(fd, IPPROTO_IPV6, opt6, &value, &len)
                                : getsockopt(fd, IPPROTO_IP, opt4, &value, &len);
    if (rc < 0) return wren_throw_errno(env, errno, "getsockopt");
    napi_value r;
    WREN_CHECK(env, napi_create_int32(env, value, &r));
    return r;
  }
  /* IP_TTL does not accept 0; the IPv6 hop limit 0 would mean "send nowhere" */
  if (opt4 == IP_TTL && value == 0) return wren_throw_type(env, "ERR_INVALID_ARG_VALUE", "TTL must be 1..255");
  if (domain == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, opt6, &value, sizeof value) < 0)
    return wren_throw_errno(env, errno, "setsockopt");
  if (setsockopt(fd, IPPROTO_IP, opt4, &value, sizeof value) < 0) return wren_throw_errno(env, errno, "setsockopt");
  return undefined(env);
}

static napi_value set_ttl(napi_env env, napi_callback_info info) { return ttl_option(env, info, IP_TTL, IPV6_UNICAST_HOPS, true); }
static napi_value get_ttl(napi_env env, napi_callback_info info) { return ttl_option(env, info, IP_TTL, IPV6_UNICAST_HOPS, false); }
static napi_value set_min_ttl(napi_env env, napi_callback_info info) { return ttl_option(env, info, IP_MINTTL, IPV6_MINHOPCOUNT, true); }
static napi_value get_min_ttl(napi_env env, napi_callback_info info) { return ttl_option(env, info, IP_MINTTL, IPV6_MINHOPCOUNT, false); }

/* close(fd): void */
static napi_value fd_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int fd;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !wren_arg_int(env, argv[0], "fd", &fd)) return NULL;
  if (close(fd) < 0 && errno != EINTR) return wren_throw_errno(env, errno, "close");
  return undefined(env);
}

/* setNetns(nsFd): void — setns(2) of the calling (main) thread into a network namespace. */
static napi_value set_netns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int fd;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !wren_arg_int(env, argv[0], "fd", &fd)) return NULL;
  if (setns(fd, CLONE_NEWNET) < 0) return wren_throw_errno(env, errno, "setns");
  return undefined(env);
}

/* ---- waiting for a non-blocking connect ------------------------------------------------
 * waitWritable(fd, cb(err: Error | null)): handle. The poll is stopped before cb runs (so
 * the fd may be handed to `new net.Socket({ fd })` or closed inside cb); err comes from
 * SO_ERROR. cancelWait(handle) stops an unfinished wait without calling cb; the fd can be
 * closed right after. The struct is freed when both the uv handle is closed and the JS
 * handle is collected (refs counts both).
 */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
  int fd;
  int refs;
  bool done;
} wait_t;

static void wait_unref(wait_t *w) {
  if (--w->refs == 0) free(w);
}

static void wait_closed(uv_handle_t *h) { wait_unref((wait_t *)h->data); }

static void wait_finish(wait_t *w) {
  w->done = true;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, wait_closed);
  napi_delete_reference(w->env, w->cb);
  napi_async_destroy(w->env, w->ctx);
}

static void wait_event(uv_poll_t *p, int status, int events) {
  wait_t *w = (wait_t *)p->data;
  if (w->done) return;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err == 0 && status < 0) err = -status;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, arg, recv, result;
  napi_get_reference_value(env, w->cb, &cb);
  napi_async_context ctx = w->ctx;
  w->ctx = NULL;
  if (err) arg = wren_errno_error(env, err, "connect");
  else napi_get_null(env, &arg);
  napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
  /* stop polling before JS sees the fd; the context is destroyed after the call */
  w->done = true;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, wait_closed);
  napi_ref ref = w->cb;
  if (cb) {
    if (napi_make_callback(env, ctx, recv, cb, 1, &arg, &result) != napi_ok) wren_report_pending(env);
  }
  napi_delete_reference(env, ref);
  napi_async_destroy(env, ctx);
  napi_close_handle_scope(env, scope);
}

static void wait_finalize(napi_env env, void *data, void *hint) { wait_unref((wait_t *)data); }

static napi_value wait_writable(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int fd;
  napi_valuetype t;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !wren_arg_int(env, argv[0], "fd", &fd)) return NULL;
  WREN_CHECK(env, napi_typeof(env, argv[1], &t));
  if (t != napi_function) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "callback must be a function");
  uv_loop_t *loop;
  WREN_CHECK(env, napi_get_uv_event_loop(env, &loop));
  wait_t *w = calloc(1, sizeof *w);
  if (!w) return wren_throw_errno(env, ENOMEM, "malloc");
  w->env = env;
  w->fd = fd;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc < 0) {
    free(w);
    return wren_throw_errno(env, -rc, "uv_poll_init");
  }
  w->poll.data = w;
  w->refs = 2;
  napi_value name, handle;
  napi_create_string_utf8(env, "WrenConnect", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->ctx);
  napi_create_reference(env, argv[1], 1, &w->cb);
  rc = uv_poll_start(&w->poll, UV_WRITABLE, wait_event);
  if (rc < 0) {
    w->refs = 1; /* no JS handle will exist */
    wait_finish(w);
    return wren_throw_errno(env, -rc, "uv_poll_start");
  }
  if (napi_create_external(env, w, wait_finalize, NULL, &handle) != napi_ok) {
    w->refs = 1;
    wait_finish(w);
    return wren_throw_errno(env, ENOMEM, "napi_create_external");
  }
  return handle;
}

static napi_value cancel_wait(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || !data)
    return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "handle from waitWritable expected");
  wait_t *w = data;
  if (!w->done) wait_finish(w);
  return undefined(env);
}

napi_status wren_init_tcp(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"tcpSocket", NULL, tcp_socket, NULL, NULL, NULL, napi_default, NULL},
      {"socketFamily", NULL, socket_family, NULL, NULL, NULL, napi_default, NULL},
      {"bind", NULL, tcp_bind, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, tcp_connect, NULL, NULL, NULL, napi_default, NULL},
      {"waitWritable", NULL, wait_writable, NULL, NULL, NULL, napi_default, NULL},
      {"cancelWait", NULL, cancel_wait, NULL, NULL, NULL, napi_default, NULL},
      {"setMd5", NULL, tcp_set_md5, NULL, NULL, NULL, napi_default, NULL},
      {"setTtl", NULL, set_ttl, NULL, NULL, NULL, napi_default, NULL},
      {"getTtl", NULL, get_ttl, NULL, NULL, NULL, napi_default, NULL},
      {"setMinTtl", NULL, set_min_ttl, NULL, NULL, NULL, napi_default, NULL},
      {"getMinTtl", NULL, get_min_ttl, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, fd_close, NULL, NULL, NULL, napi_default, NULL},
      {"setNetns", NULL, set_netns, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
