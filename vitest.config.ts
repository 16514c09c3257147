import { defineConfig } from 'vitest/config';

// Two projects: the API suite, and the dashboard's browser tests (test/web/*.browser.test.ts),
// which drive Chromium against a real server and get more time per test.
const BROWSER_TESTS = 'test/web/**/*.browser.test.ts';

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'api', include: ['test/**/*.test.ts'], exclude: [BROWSER_TESTS] },
      },
      {
        extends: true,
        test: { name: 'browser', include: [BROWSER_TESTS], testTimeout: 90_000, hookTimeout: 120_000 },
      },
    ],
  },
});
