import { lsGet, lsSet } from './storage'

/**
 * One capture that must outlive the page: the form may post and unload at once, so a capture is
 * written here first and removed only once every step was confirmed; the next page load re-runs
 * the steps left. Segment dedupes by messageId (derived from the job id) and Klaviyo profile
 * writes are upserts, so a re-run is harmless.
 */
export interface Job {
  id: string
  /** Capture time (ms): the events' timestamp; work older than a day is dropped. */
  t: number
  /** Runs so far (one per page load): bounded, so a blocked analytics is not re-sent forever. */
  n: number
  email: string
  source: string
  formId?: string
  traits?: Record<string, unknown>
  /** An opt-in: subscribe to the list. Jobs stored before this flag lack it and keep their subscription. */
  s?: boolean
  /** Bridge id (the anonymousId at capture), fixed once known. */
  b?: string
  /** The Segment userId known at capture. */
  u?: string | null
  /** Bitmask of confirmed steps: 1 identify, 2 track, 4 << i the i-th Klaviyo request. */
  d: number
}

const KEY = 'mailstitch:outbox'

/** Random id for jobs: time plus 52 random bits, base 36. */
export const uid = (): string => Date.now().toString(36) + Math.random().toString(36).slice(2)

/** All live jobs; expired (a day), exhausted (8 runs) and malformed ones are dropped on read. */
export function jobs(): Job[] {
  return lsGet<Job[]>(KEY)?.filter?.((j) => j?.email && Date.now() - j.t < 864e5 && j.n < 8) || []
}

/** Store `j` (replacing the job with its id; at most the 30 newest are kept), or remove it with `drop`. */
export function save(j: Job, drop?: unknown): void {
  const all = jobs().filter((x) => x.id != j.id)
  drop || all.push(j)
  lsSet(KEY, all.length ? all.slice(-30) : undefined)
}

/** Drop everything (consent withdrawn). */
export const clear = (): unknown => lsSet(KEY)
