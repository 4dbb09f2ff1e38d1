import { defineConfig } from 'vitest/config';

// "source" resolves `weft` and `weft/*` to the TypeScript sources, so tests import the package by name.
export default defineConfig({
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.unit.spec.ts', 'test/**/*.unit.spec.ts'] } },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['src/**/*.int.spec.ts', 'test/**/*.int.spec.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/**/*.e2e.spec.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      // The fault scenarios at full size (`npm run chaos`): not part of `npm test`, which runs them small (e2e).
      {
        extends: true,
        test: { name: 'chaos', include: ['test/chaos/**/*.chaos.spec.ts'], testTimeout: 900_000, hookTimeout: 60_000 },
      },
    ],
  },
});
