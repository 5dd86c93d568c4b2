// `npm test`: build, check, then every suite (unit in Node/happy-dom, end-to-end in Chromium),
// and finish with one line `N passed, N failed` totalling all of them.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'

const totals = { passed: 0, failed: 0, skipped: 0 }
const rows = []
const run = (cmd, args, env = {}) =>
  spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1

/** A single pass/fail check (build, types, bundle budget). */
function check(name, cmd, args) {
  const ok = run(cmd, args) === 0
  totals[ok ? 'passed' : 'failed']++
  rows.push(`${name}: ${ok ? 'ok' : 'FAILED'}`)
  return ok
}

/** A suite whose JSON report gives its counts; a missing report counts as one failure. */
function suite(name, cmd, args, report, read) {
  rmSync(report, { force: true })
  const status = run(cmd, args)
  let counts = { passed: 0, failed: 0, skipped: 0 }
  try {
    counts = read(JSON.parse(readFileSync(report, 'utf8')))
  } catch {
    counts.failed = 1
  }
  // A runner that crashed after writing a clean report still fails the suite.
  if (status !== 0 && counts.failed === 0) counts.failed = 1
  if (counts.passed + counts.failed === 0) counts.failed = 1 // a suite that ran nothing is broken
  for (const k of Object.keys(totals)) totals[k] += counts[k]
  rows.push(`${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
}

mkdirSync('.reports', { recursive: true })
const built = check('build', 'npm', ['run', 'build', '--silent'])
check('typecheck', 'npm', ['run', 'typecheck', '--silent'])
if (built) check('bundle budget', 'node', ['scripts/size-check.mjs'])
if (built) check('shopify theme check', 'node', ['scripts/theme-check.mjs'])

suite('unit', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile=.reports/unit.json'], '.reports/unit.json', (r) => ({
  passed: r.numPassedTests,
  // A file that failed to load has no test results of its own: count it as one failure.
  failed: r.numFailedTests + (r.testResults ?? []).filter((f) => f.status === 'failed' && !f.assertionResults?.length).length,
  skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
}))

if (built && check('browser', 'node', ['scripts/ensure-browser.mjs'])) {
  suite('e2e', 'npx', ['playwright', 'test'], '.reports/e2e.json', (r) => ({
    passed: r.stats.expected + (r.stats.flaky ?? 0),
    failed: r.stats.unexpected,
    skipped: r.stats.skipped,
  }))
}

console.log('\n' + rows.join('\n'))
console.log(`${totals.passed} passed, ${totals.failed} failed` + (totals.skipped ? `, ${totals.skipped} skipped` : ''))
process.exit(totals.failed ? 1 : 0)
