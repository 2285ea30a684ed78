import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers on fixed-free ports; two cores do not benefit from more forks.
    maxWorkers: 2,
  },
});
