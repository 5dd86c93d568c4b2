/** Tests passed, failed and skipped in one suite. */
export interface Counts {
  passed: number
  failed: number
  skipped: number
}
/** Counts from Vitest's JSON report (text). */
export function vitestCounts(text: string): Counts
/** Counts from Playwright's JSON report (text); `flaky` counts as failed. */
export function playwrightCounts(text: string): Counts
/** Counts from a node:test TAP report (text); `cancelled` counts as failed, `todo` as skipped. */
export function tapCounts(text: string): Counts
/** Final counts from the runner's exit status and a report reader that throws when it cannot read. */
export function settle(status: number, read: () => Counts): Counts
