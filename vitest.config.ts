import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects: "unit" runs in the test process (pure code, fake Connect servers on loopback, promtool for
// the rules); "integration" starts real processes: the Kafka + Connect stack (once, by the global setup),
// the sidecar and its dlq command as an operator runs them, the image's build, Prometheus and Chromium.
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Unit tests run first; the integration project starts the real stack after them.
          sequence: { groupOrder: 0 },
          testTimeout: 20_000,
          // Vitest's default is one worker fewer than the cores: one worker on a 2-core machine. Many unit
          // files wait on loopback sockets and timers, so two workers at least.
          maxWorkers: Math.max(2, availableParallelism()),
          // The files share modules within a worker instead of importing express, axios and kafkajs again
          // for each file (about a third of the suite's CPU time). Nothing a test changes may outlive it:
          // spies are restored after each test, and a file that adds process listeners removes them.
          isolate: false,
          restoreMocks: true,
          unstubGlobals: true,
          unstubEnvs: true,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['./test/stack/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
