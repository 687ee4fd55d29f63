import { defineConfig } from 'vitest/config';

// The end-to-end journey: plain Node, a real `npm run dev` on a fresh database, Chromium driven by playwright-core.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
