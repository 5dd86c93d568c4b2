/**
 * What one Cron Trigger pass may spend before it must stop, save and leave the rest to the next
 * trigger. Cloudflare's published limits (developers.cloudflare.com/workers/platform/limits/,
 * "Account plan limits", read 2026-12):
 *
 * - Subrequests: 50 per invocation on Workers Free, 10,000 on Workers Paid. Every `fetch` counts,
 *   and so does every call to a Durable Object; the pass counts each one it makes (Klaviyo pages
 *   and their 429 retries, Segment batches, saves to `MAILSTITCH_STATE`).
 * - CPU time: 10 ms on Free; on Paid 30 s by default, up to 5 min with `limits.cpu_ms`. The pass
 *   cannot read its CPU time, so it bounds the work instead: a page cap and a wall-clock deadline
 *   (workerd's clock moves on I/O, so the deadline also bounds the time spent waiting on Klaviyo and
 *   Segment). bench/poll-worker.ts measures CPU per page to size these.
 * - Wall time: the excerpts of the limits page we could read state no wall-clock cap for a Cron
 *   Trigger (CPU time is what ends one); not relied on: the default deadline (120 s) keeps a pass
 *   short and inside the Durable Object's run lease, so a pass ends before another may take over.
 *
 * The pass starts a page only when what that page can still spend (one Klaviyo GET, its Segment
 * batches with one retry each, one save) fits twice over — the page in flight and the one
 * prefetched — with one subrequest left to release the lease.
 */

/** Workers Free's subrequests per invocation (the default: a pass that fits Free fits Paid). */
export const FREE_PLAN_SUBREQUESTS = 50

/** Default time a pass runs before it stops, ms (the run lease lasts longer; see poll-state.ts). */
export const DEFAULT_PASS_MS = 120_000

/** Default page cap per pass: 100 pages of 1,000 events. */
export const DEFAULT_MAX_PAGES = 100

/** Segment `/v1/batch` events per request (Segment's 500 KB batch holds at most this many of ours). */
const SEGMENT_EVENTS_PER_BATCH = 500

/** Limits of one pass. */
export interface PassLimits {
  /** Subrequests the pass may make in all. */
  subrequests: number
  /** Epoch ms after which no new page is started. */
  deadline: number
  /** Klaviyo pages the pass may read in all. */
  maxPages: number
  /** Events per Klaviyo page (sizes what one page may spend at Segment). */
  pageSize: number
}

/** Counts what a pass spent; `fetch` is the counted fetch every subrequest goes through. */
export class PassBudget {
  readonly limits: PassLimits
  private used = 0
  private pages = 0
  private readonly now: () => number

  constructor(limits: PassLimits, now: () => number = Date.now) {
    this.limits = limits
    this.now = now
  }

  /** Subrequests made so far. */
  get subrequests(): number {
    return this.used
  }

  /** Pages started so far. */
  get pagesRead(): number {
    return this.pages
  }

  /** Subrequests one page may cost: its GET, its Segment batches with one retry each, its save. */
  get pageCost(): number {
    return 1 + 2 * Math.ceil(this.limits.pageSize / SEGMENT_EVENTS_PER_BATCH) + 1
  }

  /** True when one more subrequest (a retry, a save) fits, keeping one for the lease's release. */
  canSpend(n = 1): boolean {
    return this.used + n + 1 <= this.limits.subrequests
  }

  /** True when a new page may start now (see the module comment); counts it when it may. */
  startPage(): boolean {
    if (this.pages >= this.limits.maxPages) return false
    if (this.now() >= this.limits.deadline) return false
    if (!this.canSpend(2 * this.pageCost)) return false
    this.pages++
    return true
  }

  /** Count one subrequest. */
  spend(): void {
    this.used++
  }

  /** `fetch` that counts each call against the budget. */
  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    this.used++
    return fetch(input, init)
  }
}
