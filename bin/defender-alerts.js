#!/usr/bin/env node
// Loads the built entry point; everything else lives in src/ (built to dist/ by `npm ci`).
import '../dist/main.js';
