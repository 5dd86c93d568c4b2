/**
 * `relay poll` without a server: the Worker's `scheduled` handler (one pass per Cron Trigger) and
 * its `MailstitchPollState` Durable Object, on the real Workers runtime (workerd, through
 * miniflare), bundled from deploy/cloudflare/wrangler.toml as `wrangler deploy` bundles it, against
 * the sandbox emulators (Klaviyo answering in its published JSON:API shapes and with 429s; the
 * Segment collector, which counts a second copy of a messageId as a duplicate).
 */
import type { Miniflare } from 'miniflare'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bundleWorker, readWranglerConfig, startWorkerd, type WranglerConfig } from '../../test/helpers/cloudflare-worker'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { useTempDir } from '../../test/helpers/temp-dir'

const PK = 'pk_cron'
const WK = 'wk_cron'
const HOUR = 3_600_000

const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] } })
const tmp = useTempDir('mst-cron-')
let script: string
let config: WranglerConfig
const workers: Miniflare[] = []

beforeAll(async () => {
  config = readWranglerConfig()
  script = await bundleWorker(config)
}, 60_000)

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.dispose()))
})

/** The Worker on workerd with the toml's vars, Durable Object binding and these secrets; its DO storage in `persist` when given. */
async function worker(options: { persist?: string; env?: Record<string, string> } = {}): Promise<Miniflare> {
  const mf = await startWorkerd(
    script,
    config,
    {
      KLAVIYO_PRIVATE_KEY: PK,
      SEGMENT_WRITE_KEY: WK,
      KLAVIYO_API_BASE: sandbox.klaviyo.url,
      SEGMENT_API_HOST: sandbox.segment.url,
      MAILSTITCH_POLL_SINCE: new Date(Date.now() - 48 * HOUR).toISOString(),
      ...options.env,
    },
    { durableObjectsPersist: options.persist },
  )
  workers.push(mf)
  return mf
}

/** Fire the toml's Cron Trigger once, as Cloudflare does; resolves with the handler's outcome. */
async function trigger(mf: Miniflare): Promise<string> {
  const cron = config.triggers?.crons?.[0] ?? ''
  // Miniflare's Fetcher type loses `scheduled` through its type mapping; the method is there (workerd's Fetcher.scheduled).
  const fetcher = (await mf.getWorker()) as unknown as { scheduled(o: { cron: string; scheduledTime: Date }): Promise<{ outcome: string }> }
  const result = await fetcher.scheduled({ cron, scheduledTime: new Date() })
  return result.outcome
}

/** `n` email events of each kind, one every `stepMs` (default a minute), ending `endAgoMs` ago; their Klaviyo ids. */
function seed(n: number, endAgoMs = 5 * 60_000, tag = 'a', stepMs = 60_000): string[] {
  const store = sandbox.klaviyo.store
  const ids: string[] = []
  const profile = store.createOrUpdateProfile({ email: `${tag}@example.com`, properties: { segment_anonymous_id: `anon-${tag}` } }).profile
  for (let i = 0; i < n; i++) {
    const time = new Date(Date.now() - endAgoMs - (n - 1 - i) * stepMs)
    ids.push(store.recordEvent({ metricName: 'Opened Email', profileId: profile.id, time, properties: { $message: `M${i}` } }).id)
    ids.push(store.recordEvent({ metricName: 'Clicked Email', profileId: profile.id, time, properties: { URL: `https://shop.example/p/${i}` } }).id)
  }
  return ids
}

describe('the Cron Trigger poll on workerd (deploy/cloudflare/wrangler.toml)', () => {
  it('declares the cron, the MAILSTITCH_STATE binding and its SQLite migration', () => {
    expect(config.triggers?.crons).toEqual(['*/5 * * * *'])
    expect(config.durable_objects?.bindings).toEqual([{ name: 'MAILSTITCH_STATE', class_name: 'MailstitchPollState' }])
    expect(config.migrations).toEqual([{ tag: 'v1', new_sqlite_classes: ['MailstitchPollState'] }])
    expect(script).not.toMatch(/from ["']node:|require\(["']node:|klaviyo-api|axios/)
  })

  it('sends every email event once through 429s; a further trigger, and a restart on the same storage, send nothing', async () => {
    const persist = tmp.file('do')
    const ids = seed(40)
    // Klaviyo throttles the first calls (its published 429 with Retry-After); the pass waits and goes on.
    sandbox.klaviyo.setFault({ status: 429, retryAfter: 1, count: 2 })
    const mf = await worker({ persist })
    expect(await trigger(mf)).toBe('ok')
    expect(sandbox.klaviyo.serverRequests().filter((r) => r.status === 429)).toHaveLength(2)
    expect(sandbox.segment.events()).toHaveLength(ids.length)
    expect(sandbox.segment.duplicates()).toBe(0)
    expect(new Set(sandbox.segment.events().map((e) => e.messageId)).size).toBe(ids.length)
    expect(sandbox.segment.events().map((e) => e.anonymousId)).toEqual(ids.map(() => 'anon-a'))

    const posts = sandbox.segment.requests()
    expect(await trigger(mf)).toBe('ok')
    const reads = sandbox.klaviyo.serverRequests().filter((r) => r.path === '/api/events').length
    expect(reads).toBeGreaterThan(2) // the second pass did read Klaviyo again…
    expect(sandbox.segment.requests()).toBe(posts) // …and sent nothing

    await mf.dispose()
    workers.splice(workers.indexOf(mf), 1)
    const restarted = await worker({ persist })
    expect(await trigger(restarted)).toBe('ok')
    expect(sandbox.klaviyo.serverRequests().filter((r) => r.path === '/api/events').length).toBeGreaterThan(reads)
    expect(sandbox.segment.requests()).toBe(posts)
    expect(sandbox.segment.duplicates()).toBe(0)
  }, 60_000)

  it('two overlapping triggers after new events send each new event once', async () => {
    const mf = await worker()
    const first = seed(10, 30 * 60_000, 'old')
    expect(await trigger(mf)).toBe('ok')
    expect(sandbox.segment.events()).toHaveLength(first.length)
    // New events: Klaviyo shows them after the first pass, inside the poll's 10-minute lookback.
    const fresh = seed(8, 2_000, 'new')
    // Klaviyo is slow, so the two passes overlap for their whole run.
    sandbox.klaviyo.setLatency(200)
    const outcomes = await Promise.all([trigger(mf), trigger(mf)])
    expect(outcomes).toEqual(['ok', 'ok'])
    expect(sandbox.segment.events()).toHaveLength(first.length + fresh.length)
    expect(sandbox.segment.duplicates()).toBe(0)
    expect(sandbox.segment.events().filter((e) => e.anonymousId === 'anon-new')).toHaveLength(fresh.length)
  }, 60_000)

  it('ends in time when Klaviyo asks to wait past the pass deadline, and the next trigger reads on', async () => {
    const ids = seed(5)
    const mf = await worker({ env: { MAILSTITCH_POLL_SECONDS: '5' } })
    // Klaviyo's published 429 asks for 60 s, more than the pass has left: it ends now instead of waiting.
    sandbox.klaviyo.setFault({ status: 429, retryAfter: 60, count: 1 })
    expect(await trigger(mf)).toBe('ok')
    expect(sandbox.klaviyo.serverRequests().filter((r) => r.status === 429)).toHaveLength(1)
    expect(sandbox.segment.events()).toHaveLength(0)
    expect(await trigger(mf)).toBe('ok')
    expect(sandbox.segment.events()).toHaveLength(ids.length)
  }, 60_000)

  it('keeps the cursor when Segment fails, and the next trigger delivers', async () => {
    const mf = await worker()
    const ids = seed(15)
    sandbox.segment.setFault({ status: 503, count: 1000 })
    expect(await trigger(mf)).toBe('exception') // a failed pass shows as a failed trigger
    expect(sandbox.segment.events()).toHaveLength(0)
    sandbox.segment.clearFault()
    expect(await trigger(mf)).toBe('ok')
    expect(sandbox.segment.events()).toHaveLength(ids.length)
    expect(sandbox.segment.duplicates()).toBe(0)
  }, 60_000)

  it('stops at its page budget and the next triggers resume until every event is sent once', async () => {
    // 2 x 1,300 events, one a minute: more than one 1,000-event page per metric.
    const ids = seed(1300)
    const mf = await worker({ env: { MAILSTITCH_POLL_MAX_PAGES: '2', MAILSTITCH_POLL_SUBREQUESTS: '10000' } })
    const sent: number[] = []
    for (let pass = 0; pass < 4; pass++) {
      expect(await trigger(mf)).toBe('ok')
      sent.push(sandbox.segment.events().length)
    }
    // Two pages per pass. 1: the first metric's two pages. 2: its 10-minute lookback re-read (nothing
    // re-sent), the second metric's first page. 3: both re-read, the second metric's rest. 4: nothing new.
    expect(sent).toEqual([1300, 2300, 2600, 2600])
    expect(ids).toHaveLength(2600)
    expect(sandbox.segment.duplicates()).toBe(0)
  }, 120_000)

  it('stops within its subrequest budget, counting every Klaviyo, Segment and state call, and the next triggers resume', async () => {
    // 2 x 2,000 events, one every 10 s: four 1,000-event pages; a budget of 25 subrequests (Workers
    // Free allows 50) holds about three pages and their sends.
    const ids = seed(2000, 5 * 60_000, 'a', 10_000)
    const mf = await worker({ env: { MAILSTITCH_POLL_SUBREQUESTS: '25' } })
    const perPass: number[] = []
    let before = 0
    while (sandbox.segment.events().length < ids.length && perPass.length < 6) {
      expect(await trigger(mf)).toBe('ok')
      const now = sandbox.klaviyo.serverRequests().length + sandbox.segment.requests()
      perPass.push(now - before)
      before = now
    }
    expect(sandbox.segment.events()).toHaveLength(ids.length)
    expect(sandbox.segment.duplicates()).toBe(0)
    expect(perPass.length).toBeGreaterThan(1)
    // Klaviyo and Segment calls only; the budget also counted the calls to MAILSTITCH_STATE.
    for (const n of perPass) expect(n).toBeLessThanOrEqual(25 - 3)
  }, 120_000)
})
