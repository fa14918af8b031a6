#!/usr/bin/env node
// Entry point of the client as installed: runs the compiled build.
import '../dist/src/cli/main.js';
