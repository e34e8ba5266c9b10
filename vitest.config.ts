import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // Vitest's default on a 2-core machine is one worker; most files wait on a sandbox's timers and receivers,
    // not on the CPU, so two run side by side (CI: 8 minutes instead of 10).
    maxWorkers: 2,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
