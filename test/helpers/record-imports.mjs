// Preload for `node --import`: records every module URL the process resolves, one per line, in
// the file named by RECORD_IMPORTS (used to check that --help/--version load nothing heavy).
import { register } from 'node:module';

register(new URL('./record-imports-hooks.mjs', import.meta.url), { data: { file: process.env.RECORD_IMPORTS } });
