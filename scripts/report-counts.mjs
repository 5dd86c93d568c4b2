// How scripts/test-all.mjs turns each runner's report into `passed / failed / skipped`. The rules
// that keep a run from passing by accident live here, with tests beside them: a flaky (retried)
// test is failed, a cancelled one is failed, a skipped or todo one is shown, a runner that crashed
// or ran nothing fails its suite.

/** Vitest's JSON report. A file that failed to load has no test results: one failure. */
export function vitestCounts(text) {
  const r = JSON.parse(text)
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + (r.testResults ?? []).filter((f) => f.status === 'failed' && !f.assertionResults?.length).length,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
  }
}

/** Playwright's JSON report. `flaky` passed only on a retry: it counts as failed. */
export function playwrightCounts(text) {
  const { stats } = JSON.parse(text)
  return { passed: stats.expected, failed: stats.unexpected + (stats.flaky ?? 0), skipped: stats.skipped }
}

/** The summary node's test runner ends a TAP report with; cancelled (a failed hook, a timeout) is failed. */
export function tapCounts(text) {
  const n = (key) => {
    const m = new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text)
    if (!m) throw new Error(`TAP report without "# ${key}"`)
    return Number(m[1])
  }
  return { passed: n('pass'), failed: n('fail') + n('cancelled'), skipped: n('skipped') + n('todo') }
}

/**
 * A suite's final counts from its runner's exit status and its report (`read()` parses it and
 * throws when it is missing or unreadable): no report is one failure, a non-zero exit with a
 * clean report is one failure, a suite that ran nothing is one failure.
 */
export function settle(status, read) {
  let counts
  try {
    counts = { ...read() }
  } catch {
    counts = { passed: 0, failed: 1, skipped: 0 }
  }
  if (status !== 0 && counts.failed === 0) counts.failed = 1
  if (counts.passed + counts.failed === 0) counts.failed = 1
  return counts
}
