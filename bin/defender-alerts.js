#!/usr/bin/env -S node --
// Loads the built entry point; everything else lives in src/ (built to dist/src/ by `npm ci`).
import module from 'node:module';

// Node >= 22.1 can cache compiled code between runs, which a cron job pays at every start; on
// Node 20 this function does not exist and nothing changes.
module.enableCompileCache?.();
await import('../dist/src/main.js');
