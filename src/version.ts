// Version strings. Calico reads the daemon's version from `bird --version` and from the
// `show status` reply (a `1000` line starting `BIRD v`), so ours starts with `v` too.
export const WREN_VERSION = '0.1.0';
/** What `--version` and the control-socket greeting print: `BIRD`-style, starting with `v`. */
export const VERSION_TEXT = `v${WREN_VERSION}+wren`;
