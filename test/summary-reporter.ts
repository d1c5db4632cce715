import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the closing line CI reads: "N passed, N failed, N skipped". A file that fails to load or a
 * failing beforeAll/afterAll hook counts as one failure even though its tests only show as skipped.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (mod.errors().length > 0) failed++;
      for (const suite of mod.children.allSuites()) {
        if (suite.errors().length > 0) failed++;
      }
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
