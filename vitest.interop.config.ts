import { defineConfig } from 'vitest/config';

// `npm run test:interop`: the tests against real system services (rsyslog), which .ci/run installs
// from Debian's packages; `npm test` leaves them out.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
