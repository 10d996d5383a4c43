import { defineConfig } from 'vitest/config';

// Real third-party MCP clients that need tools outside the project's dependencies (scripts/client-tools.sh):
// run by `npm run test:clients` and by .ci/run, not by `npm test`.
export default defineConfig({
  test: {
    include: ['test/clients/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
