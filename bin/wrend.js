#!/usr/bin/env -S node --max-semi-space-size=4 --no-allocation-site-pretenuring
// Entry point of the daemon as installed: runs the compiled build (`npm run build`).
// For calico-node, run it as `exec -a bird node bin/wrend.js …` (or through the shims of
// `wrenc install-calico-shims`) so that argv[0] reads `bird`. The node options on the #!
// line are src/shims.ts's DAEMON_NODE_FLAGS (why: see there).
import { main } from '../dist/src/main.js';
process.exit(await main());
