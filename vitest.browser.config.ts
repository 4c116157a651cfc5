import { defineConfig } from 'vitest/config';

/** The web application in Debian's chromium (playwright-core) against `smarthydro start --demo`; needs `npm run build` first. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
