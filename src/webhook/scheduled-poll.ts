/**
 * One Cron Trigger pass of `relay poll` on Cloudflare Workers: the CLI's poll loop (relay/poll.ts,
 * the same `Poller`: state first, the cursor moves only past what Segment accepted, saved after
 * every page) over a fetch-based Klaviyo source (klaviyo-event-pages.ts), the one Segment delivery
 * (relay/segment-sink.ts over segment-delivery.ts) and its state in the `MAILSTITCH_STATE` Durable
 * Object (poll-state.ts), within the limits in pass-budget.ts.
 *
 * Settings are the CLI's environment variables, plus:
 * - MAILSTITCH_POLL_SINCE: ISO date; where a metric with no saved cursor starts (the CLI's
 *   `--since`). The saved state wins: once a metric has a cursor, the value is ignored.
 * - MAILSTITCH_POLL_SUBREQUESTS: subrequests a pass may make (default 50, Workers Free's limit;
 *   set 10000 on Workers Paid).
 * - MAILSTITCH_POLL_SECONDS: how long a pass runs before it stops and saves (default 120).
 * - MAILSTITCH_POLL_MAX_PAGES: Klaviyo pages of 1,000 events per pass (default 100), the CPU bound.
 */
import { Poller, type PollSummary } from '../relay/poll'
import { SegmentSink } from '../relay/segment-sink'
import { ConfigError, readRelaySettings } from '../shared/relay-settings'
import { segmentHost } from '../shared/segment-region'
import { KlaviyoEventPages, PassBudgetSpent } from './klaviyo-event-pages'
import { DEFAULT_MAX_PAGES, DEFAULT_PASS_MS, FREE_PLAN_SUBREQUESTS, PassBudget } from './pass-budget'
import { DurableProgressStore, PollLeaseLost, type PollStateNamespace } from './poll-state'

/** Events per Klaviyo page (Klaviyo's maximum). */
const PAGE_SIZE = 1000

/** The lease outlasts a pass by this much, so it only expires under a pass that died. */
const LEASE_MARGIN_MS = 60_000

/** How a pass ended. */
export type PassOutcome =
  | { ran: true; summary: PollSummary; subrequests: number; pages: number }
  /** Another pass holds the lease, or the budget ran out before the first page: this one sent nothing. */
  | { ran: false; reason: 'lease_held' | 'budget_spent' }

/** The pass's own settings, read from the Worker's env. */
interface PassSettings {
  seedMs?: number
  subrequests: number
  passMs: number
  maxPages: number
}

/** Read the MAILSTITCH_POLL_* variables; throws {@link ConfigError} naming a bad one. */
function readPassSettings(env: Readonly<Record<string, unknown>>): PassSettings {
  const text = (name: string): string | undefined => {
    const v = env[name]
    return typeof v === 'string' && v.trim() ? v.trim() : undefined
  }
  const positive = (name: string, fallback: number): number => {
    const v = text(name)
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, `${name} must be a positive whole number, not "${v}".`)
    return n
  }
  const since = text('MAILSTITCH_POLL_SINCE')
  const seedMs = since === undefined ? undefined : Date.parse(since)
  if (seedMs !== undefined && Number.isNaN(seedMs)) throw new ConfigError('MAILSTITCH_POLL_SINCE', `MAILSTITCH_POLL_SINCE must be an ISO date (2026-01-31T00:00:00Z), not "${since}".`)
  return {
    seedMs,
    subrequests: positive('MAILSTITCH_POLL_SUBREQUESTS', FREE_PLAN_SUBREQUESTS),
    passMs: positive('MAILSTITCH_POLL_SECONDS', DEFAULT_PASS_MS / 1000) * 1000,
    maxPages: positive('MAILSTITCH_POLL_MAX_PAGES', DEFAULT_MAX_PAGES),
  }
}

/** Run one pass with the Worker's env; throws ConfigError, or the poll's typed error after saving. */
export async function runPollPass(env: Readonly<Record<string, unknown>>, log: (line: string) => void = console.log): Promise<PassOutcome> {
  const settings = readRelaySettings(env)
  const pass = readPassSettings(env)
  if (!settings.klaviyoPrivateKey) throw new ConfigError('KLAVIYO_PRIVATE_KEY', 'KLAVIYO_PRIVATE_KEY is not set: the poll reads Klaviyo events with it.')
  if (!settings.segmentWriteKey) throw new ConfigError('SEGMENT_WRITE_KEY', 'SEGMENT_WRITE_KEY is not set: the poll sends to Segment with it.')
  const namespace = env.MAILSTITCH_STATE as PollStateNamespace | undefined
  if (!namespace || typeof namespace.idFromName !== 'function') throw new ConfigError('MAILSTITCH_STATE', 'MAILSTITCH_STATE is not bound to the MailstitchPollState Durable Object (see deploy/cloudflare/wrangler.toml).')

  const budget = new PassBudget({ subrequests: pass.subrequests, deadline: Date.now() + pass.passMs, maxPages: pass.maxPages, pageSize: PAGE_SIZE })
  const store = new DurableProgressStore(namespace, crypto.randomUUID(), pass.passMs + LEASE_MARGIN_MS, budget)
  if (!(await store.acquire())) {
    log('mailstitch poll: another pass holds the lease; this one sends nothing')
    return { ran: false, reason: 'lease_held' }
  }
  let poller: Poller | undefined
  const source = new KlaviyoEventPages({ privateKey: settings.klaviyoPrivateKey, apiBase: settings.klaviyoApiBase, pageSize: PAGE_SIZE, budget, onSpent: () => poller?.stop() })
  // One retry per batch (the budget reserves it); what Segment still does not take stays behind the cursor for the next trigger.
  const sink = new SegmentSink({ writeKey: settings.segmentWriteKey, host: segmentHost(settings.segmentApiHost, settings.segmentRegion), maxRetries: 1, concurrency: 2, fetch: budget.fetch })
  poller = new Poller({
    source,
    sink,
    store,
    resolveMetrics: () => source.emailMetrics(),
    // One metric at a time: a page and its prefetch stay within the budget's reserve and the 6 connections a Worker may hold open.
    metricConcurrency: 1,
  })
  try {
    const summary = await poller.pollOnce({ seedMs: pass.seedMs })
    log(`mailstitch poll: fetched ${summary.fetched}, sent ${summary.sent}, skipped ${summary.skipped}, refused ${summary.refused}${summary.stopped ? ' (stopped: the next trigger resumes)' : ''}; ${budget.subrequests} subrequests, ${budget.pagesRead} pages`)
    return { ran: true, summary, subrequests: budget.subrequests, pages: budget.pagesRead }
  } catch (err) {
    // Spent while listing the metrics (Klaviyo throttling past the deadline): nothing was read, the next trigger starts over.
    if (!(err instanceof PassBudgetSpent)) throw err
    log(`mailstitch poll: ${err.message}`)
    return { ran: false, reason: 'budget_spent' }
  } finally {
    await sink.close()
    // A pass that lost its lease must not free the newer owner's; any other end frees it for the next trigger.
    await store.release().catch((err: unknown) => {
      if (!(err instanceof PollLeaseLost)) log(`mailstitch poll: could not release the lease (${err instanceof Error ? err.message : String(err)}); it expires by itself`)
    })
  }
}
