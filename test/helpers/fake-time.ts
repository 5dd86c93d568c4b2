/**
 * Test helpers for fake time: {@link useFakeTime} puts a whole test file on fake timers, and
 * {@link advanceUntil} moves fake time forward in steps until something real (a request over a
 * socket) has happened. Between steps it waits, on real timers, for `happened` to hold, so slow I/O
 * only makes the fake time it reports later, never earlier: a lower bound on fake time stays exact.
 */
import { afterEach, beforeEach, vi } from 'vitest'

/** Fake timers for every test of the calling file (the clock set to `startIso` when given); real timers again after each test. */
export function useFakeTime(startIso?: string): void {
  beforeEach(() => {
    vi.useFakeTimers()
    if (startIso !== undefined) vi.setSystemTime(Date.parse(startIso))
  })
  afterEach(() => {
    vi.useRealTimers()
  })
}

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
