import { lsGet, lsSet } from './storage'
import type { KlaviyoRequest } from './klaviyo-client'

/**
 * A unit of work that must outlive the page: the form may post and unload at once, so every
 * capture is written here first and removed only once delivered; the next page load re-runs
 * what is left. Segment dedupes by messageId and Klaviyo profile writes are upserts, so a
 * re-run is harmless.
 */
export type Job = { id: string; t: number; n: number } & (
  | { k: 'capture'; email: string; source?: string; formId?: string; traits?: Record<string, unknown> }
  | { k: 'segment'; m: 'identify' | 'track'; a: unknown[] }
  | ({ k: 'klaviyo' } & KlaviyoRequest)
)

const KEY = 'mailstitch:outbox'
const MAX_AGE = 86_400_000
const MAX_TRIES = 8

/** Random id for jobs and Segment messageIds (crypto when available). */
export function uid(): string {
  try { return crypto.randomUUID() } catch { return Date.now().toString(36) + Math.random().toString(36).slice(2) }
}

/** All live jobs; expired and exhausted ones are dropped on read. */
export function jobs(now = Date.now()): Job[] {
  const all = lsGet<Job[]>(KEY)
  return Array.isArray(all) ? all.filter((j) => j && now - j.t < MAX_AGE && j.n < MAX_TRIES) : []
}

/** Replace job `replaces` (if given) with `add` in one write. */
export function put(add: Job[], replaces?: string): void {
  const keep = jobs().filter((j) => j.id !== replaces && !add.some((a) => a.id === j.id))
  lsSet(KEY, [...keep, ...add].slice(-30))
}

/** Remove a delivered job. */
export function done(id: string): void {
  const left = jobs().filter((j) => j.id !== id)
  lsSet(KEY, left.length ? left : undefined)
}

/** Drop everything (consent withdrawn). */
export function clear(): void {
  lsSet(KEY, undefined)
}
