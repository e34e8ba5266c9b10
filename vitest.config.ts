import { defineConfig } from 'vitest/config';

/**
 * Test files whose checks depend on time as the machine gives it: they kill processes at a moment, measure
 * latencies, race deadlines or pace a receiver farm, and drive a real browser. They run one at a time after
 * the rest, so that no other file shares the CPU with them (docs/design-notes.md: The test suite's run time).
 */
const timingSensitive = [
  'test/integration/graceful-stop.test.ts',
  'test/integration/ordered-kill.test.ts',
  'test/integration/real-endpoints-*.test.ts',
  'test/integration/receiver-farm.test.ts',
  'test/integration/sandbox-console.test.ts',
  'test/integration/tls-errors.test.ts',
  'test/unit/attempt-bounds.test.ts',
  'test/unit/webhook-sender.test.ts',
  'test/browser/**/*.test.ts',
];

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: timingSensitive,
          // Two files at a time: most of their time is waiting on sandboxes, receivers and timers. The kill -9
          // scenarios (kill-restart.test.ts) are here too: they spend most of their two minutes waiting out the
          // main lane's 60 s visibility timeout and check what was lost or recorded, not how fast (they passed
          // in runs under a load of 10), so their wait overlaps other files instead of adding to the end.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timing',
          include: timingSensitive,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
