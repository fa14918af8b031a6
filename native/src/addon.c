/*
 * Entry point of wren_native.node: registers the TCP (tcp.c) and netlink (netlink.c)
 * functions, and the memory calls below, on one exports object. Loaded by src/native.ts.
 */
#include "wren.h"
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
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

/*
 * releasePages(buffer: ArrayBuffer): number — madvise(MADV_DONTNEED) on the whole pages
 * inside `buffer`'s storage; returns the bytes given back. For a column the caller has
 * copied and will not read again (src/rib/columns.ts): its memory leaves the resident set
 * now instead of at the next major GC, and the buffer stays attached (detaching one makes
 * V8 check every typed-array access in the process from then on). The pages read as zeros
 * afterwards. The partial pages at either end are left alone: they may hold the
 * allocator's bookkeeping. Throws on a non-ArrayBuffer or a failed madvise.
 */
static napi_value release_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  bool is_ab = false;
  void *data = NULL;
  size_t len = 0, released = 0;
  WREN_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) WREN_CHECK(env, napi_is_arraybuffer(env, argv[0], &is_ab));
  if (!is_ab) return wren_throw_type(env, "ERR_INVALID_ARG_TYPE", "buffer must be an ArrayBuffer");
  WREN_CHECK(env, napi_get_arraybuffer_info(env, argv[0], &data, &len));
  long page = sysconf(_SC_PAGESIZE);
  if (data != NULL && page > 0) {
    uintptr_t p = (uintptr_t)page;
    uintptr_t start = ((uintptr_t)data + p - 1) & ~(p - 1);
    uintptr_t end = ((uintptr_t)data + len) & ~(p - 1);
    if (end > start) {
      if (madvise((void *)start, end - start, MADV_DONTNEED) != 0) return wren_throw_errno(env, errno, "madvise");
      released = end - start;
    }
  }
  WREN_CHECK(env, napi_create_double(env, (double)released, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  if (wren_init_tcp(env, exports) != napi_ok) return NULL;
  if (wren_init_netlink(env, exports) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
      {"fixMmapThreshold", NULL, fix_mmap_threshold, NULL, NULL, NULL, napi_default, NULL},
      {"releasePages", NULL, release_pages, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, 2, props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
