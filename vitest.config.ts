import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['cli/**/*.test.ts', 'runtime/**/*.test.ts', 'schemas/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    // Third-party clients that need tools outside the dependencies: `npm run test:clients` (vitest.clients.config.ts).
    exclude: [...configDefaults.exclude, 'test/clients/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
