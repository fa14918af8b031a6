#!/usr/bin/env node
// Entry point of the daemon as installed: runs the compiled build (`npm run build`).
// For calico-node, run it as `exec -a bird node bin/wrend.js …` (or through the shims of
// `wrenc install-calico-shims`) so that argv[0] reads `bird`.
import { main } from '../dist/src/main.js';
process.exit(await main());
