/**
 * Test helper: the stand-ins the browser SDK's unit tests share (a loaded analytics.js, `fetch`,
 * forms and their submits, the state cookie) and the fake-time steps that let a capture's sends run.
 */
import { vi } from 'vitest'
import { NAVIGATION_GRACE_MS, SEND_DELAY_MS } from '../../src/browser/capture'

/**
 * Let fake time run `ms` and what it starts finish: the runner's dynamic import (real module
 * loading, not a timer) and the promise chains after it.
 */
export async function runFakeTime(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms)
  for (let i = 0; i < 3; i++) {
    await vi.dynamicImportSettled()
    await vi.advanceTimersByTimeAsync(0)
  }
}

/** Past a form submit's sends: SEND_DELAY_MS, then NAVIGATION_GRACE_MS when the submit was not prevented (no navigation in happy-dom). */
export const afterSubmitSends = (): Promise<void> => runFakeTime(SEND_DELAY_MS + NAVIGATION_GRACE_MS + 1)
