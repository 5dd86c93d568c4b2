/**
 * The Cron Trigger poll's state on Cloudflare: one Durable Object (class `MailstitchPollState`,
 * bound as `MAILSTITCH_STATE`, one instance named "poll") holds what the CLI keeps in its state
 * file — per metric the cursor and the ids accepted inside the overlap window — and the run lease.
 *
 * - The lease: a pass may read or write the state only while it holds the lease (an owner token
 *   with an expiry). A second trigger that finds it held sends nothing and ends. Every save renews
 *   the lease and is refused once another owner took it, so a pass that outlived its lease cannot
 *   write over the newer one's progress. The lease lasts longer than a pass may run
 *   (pass-budget.ts), so it only expires under a pass that died (an evicted isolate, a deploy);
 *   the next trigger after the expiry resumes from the last saved page.
 * - Durable per page: the poll saves after every page, before it sends the next one, and the
 *   Durable Object's storage writes are durable when the save answers, so a restart re-sends at
 *   most the page in flight, with the same messageIds (Segment deduplicates them).
 * - Stored versioned: key `state` holds `{ version: 1, updatedAt, metrics: { id: { name, cursor,
 *   seenKeys } } }` and the seen ids sit in keys of at most 10,000 ids each, so no value comes near
 *   the 2 MB key-and-value limit of SQLite-backed Durable Objects
 *   (developers.cloudflare.com/durable-objects/platform/limits/).
 *
 * The object is addressed with `fetch` (JSON in and out), which needs no `cloudflare:workers` import.
 */
import { MetricProgress, type ProgressStore } from '../relay/metric-progress'
import { isRecord, recordOf } from '../shared/json'
import type { PassBudget } from './pass-budget'

/** The storage API of a Durable Object that this class uses (a subset of Cloudflare's `DurableObjectStorage`). */
export interface PollStateStorage {
  get<T = unknown>(key: string): Promise<T | undefined>
  put(entries: Record<string, unknown>): Promise<void>
  delete(keys: string[]): Promise<number>
}

/** What Cloudflare hands the Durable Object's constructor (a subset of `DurableObjectState`). */
export interface PollStateContext {
  storage: PollStateStorage
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>
}

/** The `MAILSTITCH_STATE` binding (a subset of Cloudflare's `DurableObjectNamespace`). */
export interface PollStateNamespace {
  idFromName(name: string): unknown
  get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> }
}

/** Seen ids per storage key. */
const SEEN_PER_KEY = 10_000

/** Stored form of one metric (the ids sit in `seenKeys` keys). */
interface StoredMetric {
  name: string
  cursor: string
  seenKeys: number
}

/** Stored form of the state header, key `state`. */
interface StoredState {
  version: 1
  updatedAt: string
  metrics: Record<string, StoredMetric>
}

/** The held lease, key `lease`. */
interface StoredLease {
  owner: string
  expiresAt: number
}

/** One metric as sent to and from the object: what the state file holds for it. */
interface MetricJson {
  name: string
  cursor: string
  seen: Record<string, number>
}

/** The Durable Object: the poll's state and run lease. */
export class MailstitchPollState {
  private readonly ctx: PollStateContext

  constructor(ctx: PollStateContext, _env?: unknown) {
    this.ctx = ctx
  }

  /** POST /acquire | /load | /save | /release with `{ owner, leaseMs?, metrics? }`. */
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname
    const body = recordOf(await request.json().catch(() => undefined))
    const owner = typeof body.owner === 'string' ? body.owner : ''
    if (request.method !== 'POST' || !owner) return Response.json({ error: 'bad_request' }, { status: 400 })
    const leaseMs = typeof body.leaseMs === 'number' && body.leaseMs > 0 ? body.leaseMs : 0
    // One call at a time: checking the lease and writing must not interleave with another pass's call.
    return this.ctx.blockConcurrencyWhile(async () => {
      const lease = await this.ctx.storage.get<StoredLease>('lease')
      const held = lease !== undefined && lease.expiresAt > Date.now()
      const mine = held && lease.owner === owner
      if (path === '/acquire') {
        if (held && !mine) return Response.json({ acquired: false, expiresAt: lease.expiresAt }, { status: 409 })
        await this.ctx.storage.put({ lease: { owner, expiresAt: Date.now() + leaseMs } satisfies StoredLease })
        return Response.json({ acquired: true })
      }
      if (!mine) return Response.json({ error: 'lease_lost' }, { status: 409 })
      if (path === '/load') return Response.json({ metrics: await this.load() })
      if (path === '/save') {
        const metrics = body.metrics
        if (!isRecord(metrics)) return Response.json({ error: 'bad_request' }, { status: 400 })
        await this.save(metrics as Record<string, MetricJson>, { owner, expiresAt: Date.now() + leaseMs })
        return Response.json({ saved: true })
      }
      if (path === '/release') {
        await this.ctx.storage.delete(['lease'])
        return Response.json({ released: true })
      }
      return Response.json({ error: 'not_found' }, { status: 404 })
    })
  }

  private async load(): Promise<Record<string, MetricJson>> {
    const state = await this.ctx.storage.get<StoredState>('state')
    const out: Record<string, MetricJson> = {}
    if (!state) return out
    if (state.version !== 1) throw new Error(`MAILSTITCH_STATE holds state version ${JSON.stringify(state.version)}; this relay reads version 1`)
    for (const [id, m] of Object.entries(state.metrics)) {
      const seen: Record<string, number> = {}
      for (let k = 0; k < m.seenKeys; k++) Object.assign(seen, await this.ctx.storage.get<Record<string, number>>(seenKey(id, k)))
      out[id] = { name: m.name, cursor: m.cursor, seen }
    }
    return out
  }

  private async save(metrics: Record<string, MetricJson>, lease: StoredLease): Promise<void> {
    const before = await this.ctx.storage.get<StoredState>('state')
    const state: StoredState = { version: 1, updatedAt: new Date().toISOString(), metrics: {} }
    const entries: Record<string, unknown> = { lease }
    const stale: string[] = []
    for (const [id, m] of Object.entries(metrics)) {
      const ids = Object.entries(m.seen)
      const keys = Math.ceil(ids.length / SEEN_PER_KEY)
      for (let k = 0; k < keys; k++) entries[seenKey(id, k)] = Object.fromEntries(ids.slice(k * SEEN_PER_KEY, (k + 1) * SEEN_PER_KEY))
      for (let k = keys; k < (before?.metrics[id]?.seenKeys ?? 0); k++) stale.push(seenKey(id, k))
      state.metrics[id] = { name: m.name, cursor: m.cursor, seenKeys: keys }
    }
    entries.state = state
    // One put of several keys is atomic: the header never names ids that were not written with it.
    await this.ctx.storage.put(entries)
    if (stale.length) await this.ctx.storage.delete(stale)
  }
}

function seenKey(metricId: string, k: number): string {
  return `seen:${metricId}:${k}`
}

/** The lease was taken by another pass (or expired and was taken): this pass must stop sending. */
export class PollLeaseLost extends Error {
  constructor() {
    super('another pass holds the MAILSTITCH_STATE lease; this pass stopped')
    this.name = 'PollLeaseLost'
  }
}

/** The poll's {@link ProgressStore} over the Durable Object, for one pass (one lease owner). */
export class DurableProgressStore implements ProgressStore {
  readonly path = 'the MAILSTITCH_STATE Durable Object'
  private readonly stub: { fetch(input: string, init?: RequestInit): Promise<Response> }
  private readonly owner: string
  private readonly leaseMs: number
  private readonly budget: PassBudget

  constructor(namespace: PollStateNamespace, owner: string, leaseMs: number, budget: PassBudget) {
    this.stub = namespace.get(namespace.idFromName('poll'))
    this.owner = owner
    this.leaseMs = leaseMs
    this.budget = budget
  }

  /** Take the run lease; false when another pass holds it. */
  async acquire(): Promise<boolean> {
    const res = await this.call('/acquire', {})
    if (res.status === 409) return false
    await this.check(res, 'acquire')
    return true
  }

  /** Give the lease back (a finished pass lets the next trigger start at once). */
  async release(): Promise<void> {
    const res = await this.call('/release', {})
    if (res.status !== 409) await this.check(res, 'release')
  }

  async load(): Promise<Map<string, MetricProgress>> {
    const res = await this.call('/load', {})
    const body = recordOf(await this.check(res, 'load'))
    const out = new Map<string, MetricProgress>()
    for (const [id, raw] of Object.entries(recordOf(body.metrics))) {
      const m = raw as Partial<MetricJson>
      const cursor = typeof m.cursor === 'string' ? Date.parse(m.cursor) : NaN
      if (Number.isNaN(cursor)) throw new Error(`MAILSTITCH_STATE: metric ${id} has no valid cursor`)
      out.set(id, new MetricProgress(id, typeof m.name === 'string' ? m.name : id, cursor, new Map(Object.entries(m.seen ?? {}))))
    }
    return out
  }

  async save(metrics: Iterable<MetricProgress>): Promise<void> {
    const out: Record<string, MetricJson> = {}
    for (const m of metrics) if (m.cursor !== undefined) out[m.metricId] = m.toJSON()
    await this.check(await this.call('/save', { metrics: out }), 'save')
  }

  private call(path: string, body: Record<string, unknown>): Promise<Response> {
    // A call to a Durable Object is a subrequest too.
    this.budget.spend()
    return this.stub.fetch(`https://mailstitch-state${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ owner: this.owner, leaseMs: this.leaseMs, ...body }) })
  }

  private async check(res: Response, what: string): Promise<unknown> {
    const body: unknown = await res.json().catch(() => undefined)
    if (res.status === 409) throw new PollLeaseLost()
    if (!res.ok) throw new Error(`MAILSTITCH_STATE ${what} answered ${res.status}`)
    return body
  }
}
