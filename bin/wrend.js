#!/usr/bin/env node
// Entry point of the daemon as installed: runs the compiled build.
import '../dist/src/main.js';
