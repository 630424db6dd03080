import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends every run with one plain line that any CI can read: "Tests: N passed, N failed, N skipped".
 * A test file that fails as a whole (it does not load, or a hook throws) counts its tests as failed,
 * not skipped, so the line never looks green when it is not.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      const moduleFailed = testModule.state() === 'failed';
      let tests = 0;
      for (const test of testModule.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed' || moduleFailed) counts.failed++;
        else counts.skipped++;
      }
      if (moduleFailed && tests === 0) counts.failed++;
    }
    process.stdout.write(`\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
