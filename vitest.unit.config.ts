import { defineConfig } from 'vitest/config';

// The in-process tests only (no built CLI, no child processes): `npm run test:unit` and the
// mutation tests run these.
export default defineConfig({
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/fleet/**/*.test.ts',
      'test/service/**/*.test.ts',
      'test/http/**/*.test.ts',
      'test/property/**/*.test.ts',
      'test/state/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
