import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the bundle the CLI tests run, when it is older than its sources.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn real git and gt processes; two workers keep a 2-core machine responsive.
    maxWorkers: 2,
  },
});
