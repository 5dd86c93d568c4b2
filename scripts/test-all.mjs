// `npm test`: build, check, then every suite (unit in Node/happy-dom, end-to-end in Chromium, the
// storefront scenarios in Chromium, Firefox ESR and WebKitGTK), and finish with one line
// `N passed, N failed` totalling all of them. Nothing is skipped silently: a skipped or todo test
// shows in the totals, a flaky (retried) test counts as failed, a suite that ran nothing fails.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { playwrightCounts, settle, tapCounts, vitestCounts } from './report-counts.mjs'

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
 * A suite whose report file gives its counts (`read` parses the report's text; see
 * scripts/report-counts.mjs for the rules that turn a report into counts).
 */
function suite(name, cmd, args, report, read, options = {}) {
  rmSync(report, { force: true })
  const status = run(cmd, args, options)
  const counts = settle(status, () => read(readFileSync(report, 'utf8')))
  for (const k of Object.keys(totals)) totals[k] += counts[k]
  rows.push(`${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
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
check('typecheck', 'npm', ['run', 'typecheck', '--silent'])
check('lint', 'npm', ['run', 'lint', '--silent'])
// No unused export or file (knip.jsonc: the real entry points from rollup.config.mjs, scripts, tests).
check('knip', 'npm', ['run', 'knip', '--silent'])
if (built) check('bundle budget', 'node', ['scripts/size-check.mjs'])
if (built) check('shopify theme check', 'node', ['scripts/theme-check.mjs'])

// A forgotten `.only` would silently leave the other tests out: both runners refuse it here.
suite('unit', 'npx', ['vitest', 'run', '--allowOnly=false', '--reporter=default', '--reporter=json', '--outputFile=.reports/unit.json'], '.reports/unit.json', vitestCounts)
// `*.integration.test.ts` (vitest.integration.config.ts): dist/, processes, workerd, the relay end to end.
if (!built) notRun('integration', 'no build')
else suite('integration', 'npx', ['vitest', 'run', '-c', 'vitest.integration.config.ts', '--allowOnly=false', '--reporter=default', '--reporter=json', '--outputFile=.reports/integration.json'], '.reports/integration.json', vitestCounts)

if (!built) notRun('e2e', 'no build')
else if (check('browser', 'node', ['scripts/ensure-browser.mjs'])) {
  suite('e2e', 'npx', ['playwright', 'test', '--retries=0', '--forbid-only'], '.reports/e2e.json', playwrightCounts)
} else notRun('e2e', 'no browser')

for (const engine of ['chromium', 'firefox', 'webkit']) {
  if (built) engineSuite(engine)
  else notRun(`engines (${engine})`, 'no build')
}

console.log('\n' + rows.join('\n'))
console.log(`${totals.passed} passed, ${totals.failed} failed` + (totals.skipped ? `, ${totals.skipped} skipped` : ''))
process.exit(totals.failed ? 1 : 0)
