import { describe, expect, it } from 'vitest'
import { playwrightCounts, settle, tapCounts, vitestCounts } from './report-counts.mjs'

/** The summary node:test's TAP reporter ends a run with (node 20). */
const tap = (o: { pass?: number; fail?: number; cancelled?: number; skipped?: number; todo?: number }) =>
  `TAP version 13\n# Subtest: firefox\n    ok 1 - a\n    1..1\nok 1 - firefox\n1..1\n# tests 5\n# suites 1\n# pass ${o.pass ?? 0}\n# fail ${o.fail ?? 0}\n# cancelled ${o.cancelled ?? 0}\n# skipped ${o.skipped ?? 0}\n# todo ${o.todo ?? 0}\n# duration_ms 12.5\n`

describe('tapCounts', () => {
  it('reads the run summary', () => {
    expect(tapCounts(tap({ pass: 5 }))).toEqual({ passed: 5, failed: 0, skipped: 0 })
  })
  it('counts cancelled tests (a failed before hook, a parent timeout) as failed', () => {
    expect(tapCounts(tap({ fail: 1, cancelled: 4 }))).toEqual({ passed: 0, failed: 5, skipped: 0 })
  })
  it('shows skipped and todo tests as skipped', () => {
    expect(tapCounts(tap({ pass: 3, skipped: 1, todo: 1 }))).toEqual({ passed: 3, failed: 0, skipped: 2 })
  })
  it('does not read an indented subtest line as the summary, and throws on a truncated report', () => {
    expect(() => tapCounts('TAP version 13\n    # pass 5\n')).toThrow(/# pass/)
  })
})

describe('playwrightCounts', () => {
  it('counts a flaky test (passed only on a retry) as failed', () => {
    const report = JSON.stringify({ stats: { expected: 10, unexpected: 1, flaky: 2, skipped: 1 } })
    expect(playwrightCounts(report)).toEqual({ passed: 10, failed: 3, skipped: 1 })
  })
})

describe('vitestCounts', () => {
  it('counts a file that failed to load as one failure, and skipped/todo as skipped', () => {
    const report = JSON.stringify({
      numPassedTests: 7,
      numFailedTests: 1,
      numPendingTests: 2,
      numTodoTests: 1,
      testResults: [
        { status: 'failed', assertionResults: [] },
        { status: 'failed', assertionResults: [{ status: 'failed' }] },
        { status: 'passed', assertionResults: [{ status: 'passed' }] },
      ],
    })
    expect(vitestCounts(report)).toEqual({ passed: 7, failed: 2, skipped: 3 })
  })
})

describe('settle', () => {
  const clean = () => ({ passed: 4, failed: 0, skipped: 0 })
  it('keeps a clean report from a clean exit', () => {
    expect(settle(0, clean)).toEqual({ passed: 4, failed: 0, skipped: 0 })
  })
  it('fails a suite whose runner exited non-zero after a clean report', () => {
    expect(settle(1, clean)).toEqual({ passed: 4, failed: 1, skipped: 0 })
  })
  it('fails a suite without a readable report', () => {
    expect(settle(0, () => { throw new Error('ENOENT') })).toEqual({ passed: 0, failed: 1, skipped: 0 })
  })
  it('fails a suite that ran nothing, even when everything in it was skipped', () => {
    expect(settle(0, () => ({ passed: 0, failed: 0, skipped: 3 }))).toEqual({ passed: 0, failed: 1, skipped: 3 })
  })
})
