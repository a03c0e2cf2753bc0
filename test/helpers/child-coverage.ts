/**
 * A setup file of `npm test` (vitest.config.ts): when coverage is on, every process a test spawns
 * writes its V8 coverage into the directory that test/helpers/coverage-provider.ts names and reads.
 * Set here, in each test worker, rather than in the environment vitest forks its workers with: a
 * worker started with NODE_V8_COVERAGE would write its own coverage too, which the inspector already
 * takes.
 */

/** Set in vitest's main process by the coverage provider; its workers are forked with that environment. */
export const CHILD_DIR_VARIABLE = 'DEFENDER_CHILD_V8_COVERAGE';

const dir = process.env[CHILD_DIR_VARIABLE];
if (dir !== undefined) process.env['NODE_V8_COVERAGE'] = dir;
