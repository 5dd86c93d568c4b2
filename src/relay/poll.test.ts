import { getEventListeners } from 'node:events'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { useTempDir } from '../../test/helpers/temp-dir'
import { KlaviyoApiError, SegmentDeliveryError, StateFileError, UnreachableHostError } from './errors'
import type { EventPage, SourceEvent, WindowQuery } from './klaviyo-source'
import type { RelayTrackMessage } from '../shared/klaviyo-map'
import type { EmailMetric } from './metrics'
import { MAX_CURSOR_SKEW_MS, Poller, formatSummary, isTransient, type MessageSink, type PageSource, type RedrivePlan } from './poll'
import type { SendResult } from './segment-sink'
import { MetricProgress, StateStore } from './state'

const T0 = Date.parse('2026-03-01T12:00:00Z')
const MIN = 60_000
const opened: EmailMetric = { id: 'M_OPEN', name: 'Opened Email', segmentEvent: 'Email Opened' }
const clicked: EmailMetric = { id: 'M_CLICK', name: 'Clicked Email', segmentEvent: 'Email Link Clicked' }

function ev(id: string, timeMs: number, bridge = `anon-${id}`): SourceEvent {
  return {
    event: { type: 'event', id, attributes: { datetime: new Date(timeMs), eventProperties: { $message: 'MSG', Subject: 'Hi' } }, relationships: { profile: { data: { type: 'profile', id: `P-${id}` } } } },
    profile: { type: 'profile', id: `P-${id}`, attributes: { email: `${id}@example.com`, properties: { segment_anonymous_id: bridge } } },
  }
}

/** In-memory Klaviyo: events per metric id, paged oldest first, honouring the window. */
class FakeSource implements PageSource {
  events = new Map<string, SourceEvent[]>()
  queries: WindowQuery[] = []
  fetches = 0
  failOnFetch: number | undefined
  /** Awaited before each page is returned (tests hold pages back with it; no wall-clock sleeps). */
  gate: (() => Promise<void>) | undefined
  inFlight = 0
  maxInFlight = 0
  pageSize = 3
  add(metricId: string, ...e: SourceEvent[]) {
    const list = this.events.get(metricId) ?? []
    list.push(...e)
    list.sort((a, b) => +(a.event.attributes!.datetime as Date) - +(b.event.attributes!.datetime as Date))
    this.events.set(metricId, list)
  }
  async *pages(q: WindowQuery): AsyncGenerator<EventPage, void, undefined> {
    this.queries.push(q)
    const all = (this.events.get(q.metricId) ?? []).filter((e) => {
      const t = +(e.event.attributes!.datetime as Date)
      return t >= q.startMs && t < q.endMs
    })
    for (let i = 0; i === 0 || i < all.length; i += this.pageSize) {
      this.fetches++
      this.inFlight++
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
      await (this.gate?.() ?? turn())
      this.inFlight--
      if (this.failOnFetch === this.fetches) throw new KlaviyoApiError(500, 'boom')
      yield { events: all.slice(i, i + this.pageSize), nextCursor: i + this.pageSize < all.length ? String(i + this.pageSize) : undefined }
    }
  }
}

/** In-memory Segment: records accepted messages; can refuse chosen messageIds. */
class FakeSink implements MessageSink {
  host = 'http://segment.test'
  received: RelayTrackMessage[] = []
  refuse = new Set<string>()
  /** Refused for good, as Segment's 400 for one event. */
  refuseForGood = new Set<string>()
  unreachable = false
  sendsInFlight = 0
  log: string[] = []
  async send(messages: readonly RelayTrackMessage[]): Promise<SendResult> {
    this.sendsInFlight++
    this.log.push(`send ${messages.length}`)
    await turn()
    this.sendsInFlight--
    const res: SendResult = { accepted: new Set(), failed: [] }
    for (const m of messages) {
      if (this.unreachable) res.failed.push({ messageId: m.messageId, reason: 'Segment unreachable: ECONNREFUSED' })
      else if (this.refuse.has(m.messageId)) res.failed.push({ messageId: m.messageId, reason: '[500] Internal Server Error' })
      else if (this.refuseForGood.has(m.messageId)) (res.refused ??= []).push({ messageId: m.messageId, reason: 'Segment answered 400', status: 400 })
      else {
        this.received.push(m)
        res.accepted.add(m.messageId)
      }
    }
    return res
  }
  ids() {
    return this.received.map((m) => m.messageId)
  }
}

/** Let every other ready task run once (an event-loop turn, not a timed sleep). */
const turn = () => new Promise<void>((r) => setImmediate(r))

/** A promise resolved by hand. */
function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

const tmp = useTempDir('mst-poll-')
const statePath = () => tmp.file('state.json')

function poller(source: PageSource, sink: MessageSink, now: number, extra: Partial<ConstructorParameters<typeof Poller>[0]> = {}) {
  return new Poller({ source, sink, store: new StateStore(statePath()), resolveMetrics: async () => [opened, clicked], now: () => now, lookbackMs: 10 * MIN, ...extra })
}

describe('Poller', () => {
  it('first run reads the last lookback window and sends each mapped event once', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('old', T0 - 30 * MIN), ev('a', T0 - 9 * MIN), ev('b', T0 - 5 * MIN), ev('c', T0 - 4 * MIN), ev('d', T0 - MIN))
    src.add(clicked.id, ev('k', T0 - 2 * MIN))
    const sink = new FakeSink()
    const s = await poller(src, sink, T0).pollOnce()
    expect(sink.ids().sort()).toEqual(['klaviyo-a', 'klaviyo-b', 'klaviyo-c', 'klaviyo-d', 'klaviyo-k'])
    expect(sink.received.find((m) => m.messageId === 'klaviyo-k')?.event).toBe('Email Link Clicked')
    expect(sink.received.find((m) => m.messageId === 'klaviyo-a')?.anonymousId).toBe('anon-a')
    expect(s).toMatchObject({ fetched: 5, sent: 5, skipped: 0, failed: 0, metrics: 2 })
    expect(formatSummary(s)).toBe('fetched 5, sent 5, skipped 0')
    expect(src.queries[0]).toMatchObject({ metricId: opened.id, startMs: T0 - 10 * MIN, endMs: T0 })
  })

  it('a rerun over the same (overlapping) window sends nothing new', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('a', T0 - 9 * MIN), ev('b', T0 - 5 * MIN))
    const sink = new FakeSink()
    await poller(src, sink, T0).pollOnce()
    const s2 = await poller(src, sink, T0 + 2 * MIN).pollOnce() // fresh process, same state file
    expect(s2).toMatchObject({ fetched: 2, sent: 0, skipped: 2 })
    expect(sink.ids()).toEqual(['klaviyo-a', 'klaviyo-b'])
    expect(src.queries.at(-2)).toMatchObject({ startMs: T0 - 10 * MIN, endMs: T0 + 2 * MIN })
  })

  it('catches a late event inside the lookback and sends only it', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('a', T0 - 5 * MIN))
    const sink = new FakeSink()
    await poller(src, sink, T0).pollOnce()
    src.add(opened.id, ev('late', T0 - 3 * MIN)) // happened before T0, visible only now
    const s = await poller(src, sink, T0 + 5 * MIN).pollOnce()
    expect(s).toMatchObject({ sent: 1, skipped: 1 })
    expect(sink.ids()).toEqual(['klaviyo-a', 'klaviyo-late'])
  })

  it('a seed (--since) starts a metric that has no cursor yet', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('old', T0 - 3 * 60 * MIN), ev('new', T0 - MIN))
    const sink = new FakeSink()
    await poller(src, sink, T0).pollOnce({ seedMs: T0 - 24 * 60 * MIN })
    expect(sink.ids()).toEqual(['klaviyo-old', 'klaviyo-new'])
  })

  it('the saved state wins: a cron rerun with the same seed sends nothing, a new metric still starts at the seed', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('old', T0 - 3 * 60 * MIN), ev('new', T0 - MIN))
    const sink = new FakeSink()
    const seedMs = T0 - 24 * 60 * MIN
    await poller(src, sink, T0, { resolveMetrics: async () => [opened] }).pollOnce({ seedMs })
    src.add(clicked.id, ev('k-old', T0 - 2 * 60 * MIN))
    const later = T0 + 60 * MIN
    const s = await poller(src, sink, later).pollOnce({ seedMs })
    // Opened continued from its cursor (nothing new); Clicked had no cursor and started at the seed.
    expect(src.queries.filter((q) => q.metricId === opened.id).at(-1)).toMatchObject({ startMs: T0 - 10 * MIN, endMs: later })
    expect(src.queries.filter((q) => q.metricId === clicked.id).at(-1)).toMatchObject({ startMs: seedMs })
    expect(s).toMatchObject({ sent: 1 })
    expect(sink.ids()).toEqual(['klaviyo-old', 'klaviyo-new', 'klaviyo-k-old'])
    const s3 = await poller(src, sink, later).pollOnce({ seedMs })
    expect(s3.sent).toBe(0)
  })

  it('a re-drive says how many events it will send, re-sends [from, cursor) and leaves the cursor', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('a', T0 - 50 * MIN), ev('b', T0 - 40 * MIN), ev('c', T0 - 5 * MIN))
    src.add(clicked.id, ev('k', T0 - 45 * MIN))
    const sink = new FakeSink()
    const store = new StateStore(statePath())
    await poller(src, sink, T0, { store }).pollOnce({ seedMs: T0 - 60 * MIN })
    const before = await readFile(statePath(), 'utf8')
    const plans: RedrivePlan[] = []
    let sentWhenPlanned = -1
    const s = await poller(src, sink, T0 + 30 * MIN, { store }).redrive(T0 - 42 * MIN, (plan) => {
      plans.push(plan)
      sentWhenPlanned = sink.received.length
    })
    expect(plans).toHaveLength(1)
    expect(plans[0].events).toBe(2) // b and c of Opened; k of Clicked is before the start
    expect(plans[0].windows.find((w) => w.metric === 'Opened Email')).toMatchObject({ fromMs: T0 - 42 * MIN, toMs: T0, events: 2 })
    expect(sentWhenPlanned).toBe(4) // nothing of the re-drive was sent before the plan was told
    expect(sink.ids().slice(4)).toEqual(['klaviyo-b', 'klaviyo-c'])
    expect(s).toMatchObject({ sent: 2, failed: 0 })
    expect(await readFile(statePath(), 'utf8')).toBe(before)
  })

  it('refuses a cursor written by a host whose clock ran ahead (exit 2, nothing sent, state untouched)', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('a', T0 - 5 * MIN))
    const sink = new FakeSink()
    const store = new StateStore(statePath())
    await store.save([new MetricProgress(opened.id, 'Opened Email', T0 + 3 * 60 * MIN)])
    const before = await readFile(statePath(), 'utf8')
    const err = await poller(src, sink, T0).pollOnce().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StateFileError)
    expect((err as StateFileError).exitCode).toBe(2)
    expect((err as Error).message).toContain(`State file ${statePath()}: metric "Opened Email" (M_OPEN) has its cursor at 2026-03-01T15:00:00.000Z, 3 h ahead of this host's clock (2026-03-01T12:00:00.000Z)`)
    expect((err as Error).message).toMatch(/Fix the clocks/)
    expect(sink.ids()).toEqual([])
    expect(src.queries).toEqual([])
    expect(await readFile(statePath(), 'utf8')).toBe(before)
    await expect(poller(src, sink, T0).redrive(T0 - 60 * MIN)).rejects.toBeInstanceOf(StateFileError)
  })

  it('accepts a cursor a little ahead (small clock skew) and still reads the lookback before it', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('a', T0 - 5 * MIN))
    const sink = new FakeSink()
    await new StateStore(statePath()).save([new MetricProgress(opened.id, 'Opened Email', T0 + MAX_CURSOR_SKEW_MS)])
    await poller(src, sink, T0).pollOnce()
    expect(sink.ids()).toEqual(['klaviyo-a'])
  })

  it('skips events it cannot map, without blocking the cursor', async () => {
    const src = new FakeSource()
    const noId = ev('x', T0 - 3 * MIN)
    noId.event.id = null
    const noKey = ev('nokey', T0 - 2 * MIN)
    noKey.profile = undefined
    noKey.event.relationships = {}
    src.add(opened.id, ev('a', T0 - 4 * MIN), noId, noKey, ev('b', T0 - MIN))
    const sink = new FakeSink()
    const s = await poller(src, sink, T0).pollOnce()
    expect(sink.ids()).toEqual(['klaviyo-a', 'klaviyo-b'])
    expect(s).toMatchObject({ fetched: 4, sent: 2, skipped: 2 })
  })

  it('a Segment failure half-way through a page keeps the cursor before it, and the retry sends only what is missing', async () => {
    const src = new FakeSource()
    src.pageSize = 10
    src.add(opened.id, ev('a', T0 - 5 * MIN), ev('b', T0 - 4 * MIN), ev('c', T0 - 3 * MIN), ev('d', T0 - 2 * MIN))
    const sink = new FakeSink()
    sink.refuse.add('klaviyo-b')
    await expect(poller(src, sink, T0).pollOnce()).rejects.toBeInstanceOf(SegmentDeliveryError)
    expect(sink.ids()).toEqual(['klaviyo-a', 'klaviyo-c', 'klaviyo-d'])
    sink.refuse.clear()
    const s = await poller(src, sink, T0 + MIN).pollOnce()
    expect(s).toMatchObject({ sent: 1, skipped: 3 })
    expect(sink.ids().sort()).toEqual(['klaviyo-a', 'klaviyo-b', 'klaviyo-c', 'klaviyo-d'])
  })

  it('a Klaviyo page failing half-way keeps what was sent; the rerun resumes without resending', async () => {
    const src = new FakeSource()
    src.add(opened.id, ...Array.from({ length: 8 }, (_, i) => ev(`e${i}`, T0 - (9 - i) * MIN)))
    src.failOnFetch = 2
    const sink = new FakeSink()
    await expect(poller(src, sink, T0, { metricConcurrency: 1 }).pollOnce()).rejects.toBeInstanceOf(KlaviyoApiError)
    expect(sink.ids()).toEqual(['klaviyo-e0', 'klaviyo-e1', 'klaviyo-e2'])
    src.failOnFetch = undefined
    await poller(src, sink, T0).pollOnce()
    expect(sink.ids()).toEqual(Array.from({ length: 8 }, (_, i) => `klaviyo-e${i}`))
  })

  it('an event Segment refuses for good never blocks the metric: the cursor moves past it and the summary names it', async () => {
    const src = new FakeSource()
    src.add(opened.id, ...Array.from({ length: 5 }, (_, i) => ev(`e${i}`, T0 - (9 - i) * MIN)))
    const sink = new FakeSink()
    sink.refuseForGood.add('klaviyo-e1')
    const first = await poller(src, sink, T0).pollOnce()
    expect(first).toMatchObject({ sent: 4, refused: 1, failed: 0, refusals: [{ messageId: 'klaviyo-e1', reason: 'Segment answered 400' }] })
    expect(sink.ids()).toEqual(['klaviyo-e0', 'klaviyo-e2', 'klaviyo-e3', 'klaviyo-e4'])
    // Later events flow, and the refused one is not tried again.
    src.add(opened.id, ev('e5', T0 + MIN))
    const second = await poller(src, sink, T0 + 2 * MIN).pollOnce()
    expect(second).toMatchObject({ sent: 1, refused: 0 })
    expect(sink.log.at(-1)).toBe('send 1')
    expect(sink.ids()).toEqual(['klaviyo-e0', 'klaviyo-e2', 'klaviyo-e3', 'klaviyo-e4', 'klaviyo-e5'])
  })

  it('a first poll that fails entirely still pins the window start, so a later run does not skip it', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('a', T0 - 9 * MIN))
    const sink = new FakeSink()
    sink.unreachable = true
    await expect(poller(src, sink, T0).pollOnce()).rejects.toBeInstanceOf(UnreachableHostError)
    sink.unreachable = false
    await poller(src, sink, T0 + 30 * MIN).pollOnce()
    expect(sink.ids()).toEqual(['klaviyo-a'])
  })

  it('a crash between Segment’s answer and the state write re-sends only that page, with the same messageIds', async () => {
    const src = new FakeSource()
    src.add(opened.id, ...Array.from({ length: 6 }, (_, i) => ev(`e${i}`, T0 - (9 - i) * MIN)))
    const sink = new FakeSink()
    const store = new StateStore(statePath())
    // The process "dies" right after the first page's state write: every later write is lost.
    let saves = 0
    const dying = Object.assign(Object.create(store) as StateStore, {
      save: (m: Iterable<MetricProgress>) => (++saves >= 2 ? Promise.reject(new Error('killed')) : store.save(m)),
    })
    await expect(new Poller({ source: src, sink, store: dying, resolveMetrics: async () => [opened], now: () => T0, lookbackMs: 10 * MIN, saveEveryMs: 0 }).pollOnce()).rejects.toThrow('killed')
    expect(sink.ids()).toEqual(['klaviyo-e0', 'klaviyo-e1', 'klaviyo-e2', 'klaviyo-e3', 'klaviyo-e4', 'klaviyo-e5'])
    await poller(src, sink, T0).pollOnce()
    const ids = sink.ids()
    expect(new Set(ids).size).toBe(6)
    // Only the page whose state write was lost went out a second time, with the same messageIds.
    expect(ids.slice(6)).toEqual(['klaviyo-e3', 'klaviyo-e4', 'klaviyo-e5'])
  })

  it('prefetches the next page while the current one is being sent', async () => {
    const src = new FakeSource()
    src.add(opened.id, ...Array.from({ length: 9 }, (_, i) => ev(`e${i}`, T0 - (9 - i) * MIN)))
    const sink = new FakeSink()
    const fetchesAtSend: number[] = []
    const send = sink.send.bind(sink)
    sink.send = async (m) => {
      fetchesAtSend.push(src.fetches)
      return send(m)
    }
    await poller(src, sink, T0, { resolveMetrics: async () => [opened] }).pollOnce()
    // While page 1 was sent, page 2 was already requested.
    expect(fetchesAtSend[0]).toBe(2)
    expect(sink.ids()).toHaveLength(9)
  })

  it('stop() finishes the page in flight, saves, and reads no further', async () => {
    const src = new FakeSource()
    src.add(opened.id, ...Array.from({ length: 9 }, (_, i) => ev(`e${i}`, T0 - (9 - i) * MIN)))
    src.add(clicked.id, ev('k', T0 - MIN))
    const sink = new FakeSink()
    const p = poller(src, sink, T0)
    const send = sink.send.bind(sink)
    sink.send = async (m) => {
      p.stop()
      return send(m)
    }
    const s = await p.pollOnce()
    expect(s.stopped).toBe(true)
    // The first page was in flight and was finished (so was Clicked's, if it had arrived); nothing more.
    const sent = sink.ids().sort()
    expect(sent.slice(0, 3)).toEqual(['klaviyo-e0', 'klaviyo-e1', 'klaviyo-e2'])
    expect(sent.length === 3 || sent[3] === 'klaviyo-k').toBe(true)
    expect(sent.length).toBeLessThanOrEqual(4)
    const s2 = await poller(src, new FakeSink(), T0).pollOnce()
    expect(s2.sent).toBe(10 - sent.length) // nothing acknowledged was lost or resent
  })

  it('stop() does not wait for a page still being fetched (e.g. Klaviyo throttling)', async () => {
    const src = new FakeSource()
    const held = deferred() // the page never comes while the poll runs
    src.gate = () => held.promise
    src.add(opened.id, ev('a', T0 - MIN))
    const sink = new FakeSink()
    const p = poller(src, sink, T0)
    const poll = p.pollOnce()
    while (src.inFlight === 0) await turn() // a fetch is pending
    p.stop()
    const s = await poll
    expect(src.inFlight).toBeGreaterThan(0) // returned while the fetch was still pending
    expect(s).toMatchObject({ stopped: true, sent: 0 })
    expect(sink.ids()).toEqual([])
    held.resolve()
  })

  it('leaves no stop listener behind per page (each would keep its page in memory)', async () => {
    const src = new FakeSource()
    src.add(opened.id, ...Array.from({ length: 30 }, (_, i) => ev(`e${i}`, T0 - (30 - i) * 10_000)))
    const p = poller(src, new FakeSink(), T0)
    await p.pollOnce()
    const signal = (p as unknown as { stopCtl: AbortController }).stopCtl.signal
    expect(getEventListeners(signal, 'abort')).toHaveLength(0)
  })

  it('polls metrics concurrently; a failing metric does not lose the others’ progress', async () => {
    const src = new FakeSource()
    src.add(opened.id, ...Array.from({ length: 6 }, (_, i) => ev(`o${i}`, T0 - (9 - i) * MIN)))
    src.add(clicked.id, ...Array.from({ length: 6 }, (_, i) => ev(`c${i}`, T0 - (9 - i) * MIN)))
    const sink = new FakeSink()
    sink.refuse.add('klaviyo-o4')
    await expect(poller(src, sink, T0).pollOnce()).rejects.toBeInstanceOf(SegmentDeliveryError)
    expect(src.maxInFlight).toBeGreaterThanOrEqual(2) // both metrics' pages were fetched side by side
    expect(sink.ids().filter((id) => id.startsWith('klaviyo-c'))).toHaveLength(6)
    sink.refuse.clear()
    const s = await poller(src, sink, T0).pollOnce()
    expect(s.sent).toBe(1) // only o4; o5 went through in the first run, all of clicked too
    expect(new Set(sink.ids()).size).toBe(12)
  })

  it('keeps the seen set to the lookback window on long backfills', async () => {
    const src = new FakeSource()
    src.pageSize = 50
    src.add(opened.id, ...Array.from({ length: 500 }, (_, i) => ev(`e${i}`, T0 - (500 - i) * MIN)))
    const sink = new FakeSink()
    const store = new StateStore(statePath())
    await new Poller({ source: src, sink, store, resolveMetrics: async () => [opened], now: () => T0, lookbackMs: 10 * MIN }).pollOnce({ seedMs: T0 - 1000 * MIN })
    const state = await store.load()
    expect(sink.ids()).toHaveLength(500)
    expect(state.get(opened.id)!.seenCount).toBeLessThanOrEqual(10)
    expect(state.get(opened.id)!.cursor).toBe(T0)
  })
})

describe('isTransient', () => {
  it('retries outages, not configuration errors', () => {
    expect(isTransient(new SegmentDeliveryError(1, 'x'))).toBe(true)
    expect(isTransient(new KlaviyoApiError(503, 'x'))).toBe(true)
    expect(isTransient(new KlaviyoApiError(400, 'x'))).toBe(false)
  })
})

describe('Poller progress', () => {
  it('tells the counts so far and the metric\'s cursor after each page; a throwing listener does not stop the poll', async () => {
    const src = new FakeSource()
    src.add(opened.id, ev('a', T0 - 9 * MIN), ev('b', T0 - 5 * MIN), ev('c', T0 - 4 * MIN))
    src.pageSize = 2
    const sink = new FakeSink()
    const seen: Array<[number, number, string, string]> = []
    const s = await poller(src, sink, T0, { resolveMetrics: async () => [opened] }).pollOnce({
      onProgress: (p) => {
        seen.push([p.fetched, p.sent, p.metric, p.cursor])
        throw new Error('a broken display')
      },
    })
    expect(s).toMatchObject({ fetched: 3, sent: 3 })
    expect(seen).toEqual([
      [2, 2, 'Opened Email', new Date(T0 - 5 * MIN).toISOString()],
      [3, 3, 'Opened Email', new Date(T0 - 4 * MIN).toISOString()],
    ])
  })
})
