/*
 * Shared declarations of Wren's N-API addon.
 *
 * The addon is deliberately small: it makes the system calls Node's `net` module cannot
 * (TCP_MD5SIG, IP_TTL / IP_MINTTL and their IPv6 twins, bind-before-connect on a socket
 * we create, rtnetlink sockets) and turns every failing call's errno into a JS Error whose
 * `code` is the errno name ("ECONNREFUSED"), with `errno` and `syscall` set as Node does.
 * Everything above the system call (timeouts, codecs, policy) lives in TypeScript.
 */
#ifndef WREN_NATIVE_H
#define WREN_NATIVE_H

#include <node_api.h>
#include <stdbool.h>

/* Throw an Error for `err` (an errno value) raised by `syscall`; returns NULL for `return`. */
napi_value wren_throw_errno(napi_env env, int err, const char *syscall);
/* Build (not throw) the same Error. */
napi_value wren_errno_error(napi_env env, int err, const char *syscall);
/* Throw a TypeError with code ERR_INVALID_ARG_VALUE-like `code`. */
napi_value wren_throw_type(napi_env env, const char *code, const char *msg);
/* Report an exception pending after a JS callback made from a libuv callback. */
void wren_report_pending(napi_env env);

/* Argument helpers: on failure they throw and return false. */
bool wren_arg_int(napi_env env, napi_value v, const char *what, int *out);
bool wren_arg_string(napi_env env, napi_value v, const char *what, char *buf, size_t cap);

/* Registration of each part's functions on `exports`. */
napi_status wren_init_tcp(napi_env env, napi_value exports);
napi_status wren_init_netlink(napi_env env, napi_value exports);

#define WREN_CHECK(env, call)                                                  \
  do {                                                                         \
    napi_status wren_st_ = (call);                                             \
    if (wren_st_ != napi_ok) {                                                 \
      const napi_extended_error_info *wren_ei_ = NULL;                         \
      napi_get_last_error_info((env), &wren_ei_);                              \
      bool wren_pending_ = false;                                              \
      napi_is_exception_pending((env), &wren_pending_);                        \
      if (!wren_pending_)                                                      \
        napi_throw_error((env), "WREN_NAPI",                                   \
                         wren_ei_ && wren_ei_->error_message                   \
                             ? wren_ei_->error_message                         \
                             : "N-API call failed");                           \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

#endif
