import { defineConfig } from 'vitest/config';

/** End-to-end tests that time the whole embedded pipeline: run alone, after the unit and API tests. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
