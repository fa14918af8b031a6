# Wren's native addon: plain C against node_api.h (N-API), no node-addon-api.
# Built by `npm ci` (package.json "install": node-gyp rebuild --directory native);
# by hand: npx node-gyp rebuild --directory native --nodedir=/usr
{
  "targets": [
    {
      "target_name": "wren_native",
      "sources": ["src/addon.c", "src/errors.c", "src/tcp.c", "src/netlink.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
