/*
 * Entry point of wren_native.node: registers the TCP (tcp.c) and netlink (netlink.c)
 * functions on one exports object. Loaded by src/native.ts.
 */
#include "wren.h"

static napi_value init(napi_env env, napi_value exports) {
  if (wren_init_tcp(env, exports) != napi_ok) return NULL;
  if (wren_init_netlink(env, exports) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
