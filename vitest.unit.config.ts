import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Every in-process test, the inner loop while editing: `npm run test:unit` (and the mutation tests)
// run these. Left out: the interop tests against system services, and the tests that spawn the
// built CLI (which needs `npm run build` first). Those all take runCli or CLI from
// test/helpers/cli.ts, which is how they are found, whatever their folder (test/e2e/mde-pacing
// runs in process, so it is in). `npm test` runs everything but interop.
const TEST_DIR = fileURLToPath(new URL('./test/', import.meta.url));
const SPAWNS_CLI = /import \{[^}]*\b(runCli|CLI)\b[^}]*\} from '(\.\.\/)+helpers\/cli\.js'/;
const spawnsCli = readdirSync(TEST_DIR, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts') && SPAWNS_CLI.test(readFileSync(TEST_DIR + file, 'utf8')))
  .map((file) => `test/${file.split('\\').join('/')}`);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/interop/**', ...spawnsCli, '**/node_modules/**'],
    // Each property runs a tenth of the cases `npm test` (CI) runs, at least 10 (see
    // test/helpers/property-runs.ts); DEFENDER_PROPERTY_SCALE=1 npm run test:unit runs them all, as
    // the mutation tests (Stryker's workers) do.
    setupFiles: ['test/helpers/property-runs.ts'],
    env: {
      DEFENDER_PROPERTY_SCALE:
        process.env['DEFENDER_PROPERTY_SCALE'] ?? (process.env['STRYKER_MUTATOR_WORKER'] === undefined ? '0.1' : '1'),
    },
    // Two workers on two cores (vitest's default is one fewer than the cores).
    maxWorkers: 2,
    // Under Stryker the code runs instrumented, several times slower: the tests that split a page
    // at every byte (test/json/odata-page.test.ts) pass 30 s there.
    testTimeout: process.env['STRYKER_MUTATOR_WORKER'] === undefined ? 30_000 : 180_000,
    hookTimeout: 30_000,
  },
});
