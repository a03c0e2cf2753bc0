// Mutation testing of the pure modules (`npm run mutate`; not in CI: it takes minutes). Each
// mutant is a small change to the code (a `>` made `>=`, a branch removed); a good test suite
// fails on it. The score is recorded in docs/design.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.unit.config.ts' },
  mutate: [
    'src/api/completeness.ts',
    'src/api/seen-keys.ts',
    'src/http/throttle.ts',
    'src/http/retry.ts',
    'src/http/retry-after.ts',
    'src/http/pacer.ts',
    'src/state/checkpoint.ts',
    'src/state/format.ts',
    'src/time.ts',
    'src/util/errno.ts',
  ],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  tempDirName: '.stryker-tmp',
  concurrency: 2,
  timeoutMS: 30_000,
};
