// `npm test`: build, check, then every suite (unit in Node/happy-dom, end-to-end in Chromium, the
// storefront scenarios in Chromium, Firefox ESR and WebKitGTK), and finish with one line
// `N passed, N failed` totalling all of them. Nothing is skipped silently: a skipped or todo test
// shows in the totals, a flaky (retried) test counts as failed, a suite that ran nothing fails.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'

const totals = { passed: 0, failed: 0, skipped: 0 }
const rows = []
const run = (cmd, args, { env = {}, timeoutMs } = {}) =>
  spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env }, timeout: timeoutMs }).status ?? 1

/** A single pass/fail check (build, types, bundle budget). */
function check(name, cmd, args) {
  const ok = run(cmd, args) === 0
  totals[ok ? 'passed' : 'failed']++
  rows.push(`${name}: ${ok ? 'ok' : 'FAILED'}`)
  return ok
}

/** A suite that could not start (its prerequisite failed): one failure, never a silent gap. */
function notRun(name, why) {
  totals.failed++
  rows.push(`${name}: not run (${why}), counted as 1 failed`)
}

/**
 * A suite whose report file gives its counts (`read` parses the report's text); a missing or
 * unreadable report counts as one failure.
 */
function suite(name, cmd, args, report, read, options = {}) {
  rmSync(report, { force: true })
  const status = run(cmd, args, options)
  let counts = { passed: 0, failed: 0, skipped: 0 }
  try {
    counts = read(readFileSync(report, 'utf8'))
  } catch {
    counts.failed = 1
  }
  // A runner that crashed after writing a clean report still fails the suite.
  if (status !== 0 && counts.failed === 0) counts.failed = 1
  if (counts.passed + counts.failed === 0) counts.failed = 1 // a suite that ran nothing is broken
  for (const k of Object.keys(totals)) totals[k] += counts[k]
  rows.push(`${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
}

/** Vitest's JSON report. A file that failed to load has no test results: one failure. */
const vitestCounts = (text) => {
  const r = JSON.parse(text)
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + (r.testResults ?? []).filter((f) => f.status === 'failed' && !f.assertionResults?.length).length,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
  }
}

/** Playwright's JSON report. `flaky` passed only on a retry: it counts as failed. */
const playwrightCounts = (text) => {
  const { stats } = JSON.parse(text)
  return { passed: stats.expected, failed: stats.unexpected + (stats.flaky ?? 0), skipped: stats.skipped }
}

/** The summary node's test runner ends a TAP report with; cancelled (a failed hook, a timeout) is failed. */
const tapCounts = (text) => {
  const n = (key) => {
    const m = new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text)
    if (!m) throw new Error(`TAP report without "# ${key}"`)
    return Number(m[1])
  }
  return { passed: n('pass'), failed: n('fail') + n('cancelled'), skipped: n('skipped') + n('todo') }
}

/** The storefront scenarios in one engine (node:test; see e2e/engines/scenarios.test.ts). */
function engineSuite(engine) {
  const report = `.reports/engines-${engine}.tap`
  const args = ['--import', 'tsx', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${report}`, 'e2e/engines/scenarios.test.ts']
  // Each scenario and each browser start has its own timeout; this one bounds a hung engine.
  suite(`engines (${engine})`, process.execPath, args, report, tapCounts, { env: { MAILSTITCH_ENGINES: engine }, timeoutMs: 10 * 60_000 })
}

mkdirSync('.reports', { recursive: true })
const built = check('build', 'npm', ['run', 'build', '--silent'])
check('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'])
if (built) check('bundle budget', 'node', ['scripts/size-check.mjs'])

suite('unit', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile=.reports/unit.json'], '.reports/unit.json', vitestCounts)

if (!built) notRun('e2e', 'no build')
else if (check('browser', 'node', ['scripts/ensure-browser.mjs'])) {
  suite('e2e', 'npx', ['playwright', 'test', '--retries=0'], '.reports/e2e.json', playwrightCounts)
} else notRun('e2e', 'no browser')

for (const engine of ['chromium', 'firefox', 'webkit']) {
  if (built) engineSuite(engine)
  else notRun(`engines (${engine})`, 'no build')
}

console.log('\n' + rows.join('\n'))
console.log(`${totals.passed} passed, ${totals.failed} failed` + (totals.skipped ? `, ${totals.skipped} skipped` : ''))
process.exit(totals.failed ? 1 : 0)
