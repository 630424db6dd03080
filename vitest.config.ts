import { defineConfig } from 'vitest/config';

/*
 * Three layers, named by file suffix, each runnable alone (`npm run test:unit|int|e2e`):
 * unit tests are pure; integration tests use real NATS and Redis; end-to-end tests run the
 * services as processes. Integration and end-to-end runs share one NATS and one Redis, and every
 * test file works in a namespace of its own, so files run in parallel.
 */
const infra = { globalSetup: ['packages/testkit/src/global-setup.ts'] };

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['{packages,services}/*/src/**/*.unit.spec.ts', 'test/**/*.unit.spec.ts'] } },
      {
        test: {
          name: 'int',
          include: ['{packages,services}/*/src/**/*.int.spec.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          ...infra,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['{packages,services}/*/src/**/*.e2e.spec.ts', 'test/**/*.e2e.spec.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          ...infra,
        },
      },
    ],
  },
});
