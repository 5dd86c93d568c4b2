/**
 * Test helper: move fake time forward in steps until something real (a request over a socket)
 * has happened. Between steps it waits, on real timers, for `happened` to hold, so slow I/O only
 * makes the fake time it reports later, never earlier: a lower bound on fake time stays exact.
 */
import { vi } from 'vitest'

/** Advance fake timers by `stepMs` until `happened()` is true; fails after `maxMs` of fake time. */
export async function advanceUntil(happened: () => boolean, stepMs: number, maxMs: number): Promise<void> {
  for (let advanced = 0; advanced <= maxMs; advanced += stepMs) {
    try {
      await vi.waitFor(() => {
        if (!happened()) throw new Error('not yet')
      }, { timeout: 100, interval: 5 })
      return
    } catch {
      await vi.advanceTimersByTimeAsync(stepMs)
    }
  }
  throw new Error(`nothing happened within ${maxMs} ms of fake time`)
}
