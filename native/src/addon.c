/*
 * Entry point of wren_native.node: registers the TCP (tcp.c) and netlink (netlink.c)
 * functions, and the process tuning below, on one exports object. Loaded by src/native.ts.
 */
#include "wren.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

/*
 * fixMmapThreshold(bytes): boolean — mallopt(M_MMAP_THRESHOLD): allocations from `bytes` up
 * are mmap()ed and go back to the system when freed. Setting it also stops glibc raising the
 * threshold each time such a block is freed (up to 32 MiB), after which big typed-array
 * columns came from the heap arenas and their freed space stayed resident. False where
 * malloc is not glibc's (nothing done).
 */
static napi_value fix_mmap_threshold(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int bytes;
  bool ok = false;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !wren_arg_int(env, argv[0], "bytes", &bytes)) return NULL;
#ifdef __GLIBC__
  ok = bytes > 0 && mallopt(M_MMAP_THRESHOLD, bytes) == 1;
#endif
  WREN_CHECK(env, napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  if (wren_init_tcp(env, exports) != napi_ok) return NULL;
  if (wren_init_netlink(env, exports) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
      {"fixMmapThreshold", NULL, fix_mmap_threshold, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, 1, props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
