/**
 * The poll loop: for each email metric, read Klaviyo events in [cursor - lookback, now), send the
 * ones not yet accepted to Segment, and move the cursor only past events Segment accepted.
 *
 * Guarantees:
 * - at least once: the cursor never passes an event Segment did not accept;
 * - the saved state wins: a seed time (`--since`) only starts a metric that has no cursor yet, so
 *   a cron rerun of the same command sends nothing it sent before (Singer/Meltano/Airbyte taps
 *   behave the same way); re-sending a window is the separate, explicit {@link Poller.redrive};
 * - no second messageId for one event (messageId is derived from the Klaviyo event id), and no
 *   re-send on reruns or overlapping windows (the state's seen ids). The state is written after
 *   every page, before the next page is sent, so a process killed at any moment (even SIGKILL)
 *   re-sends at most the one page per metric that was in flight; those go out again with the same
 *   messageId, which Segment deduplicates for about 24 hours (segment-docs guides/duplicate-data);
 * - streaming: one page is processed while the next is fetched; nothing else is held.
 *
 * No Node API here or in what it imports: the Cloudflare Worker's Cron Trigger runs this same loop
 * (src/webhook/scheduled-poll.ts), and tsconfig.webhook.json (Web APIs only) type-checks it there.
 */
import { eventTime, mapKlaviyoEvent, type MapOptions, type RelayTrackMessage } from '../shared/klaviyo-map'
import type { EmailMetric, EventPage, WindowQuery } from './poll-inputs'
import type { SendResult } from './segment-sink'
import { deliveryError } from './segment-sink'
import { MetricProgress, type ProgressStore } from './metric-progress'
import { KlaviyoApiError, KlaviyoResponseError, RelayError, SegmentDeliveryError, StateFileError, UnreachableHostError } from './errors'

/** Default overlap: Klaviyo can show events a few minutes after they happened. */
export const DEFAULT_LOOKBACK_SECONDS = 600

/**
 * How far a saved cursor may be ahead of this host's clock. A little skew is harmless (the lookback
 * re-reads it); more means the state was written on a host whose clock ran ahead, and polling from
 * it would send nothing until that time and then skip what happened in between.
 */
export const MAX_CURSOR_SKEW_MS = 60_000

/** Refused events listed in a summary (all are counted). */
const MAX_REPORTED_REFUSALS = 100

/** Default number of metrics polled at the same time. */
const DEFAULT_METRIC_CONCURRENCY = 3

/** Counts of one poll. */
export interface PollSummary {
  /** Events read from Klaviyo. */
  fetched: number
  /** Events Segment accepted. */
  sent: number
  /** Events not sent: already sent before, or not mappable (no id, time or identity). */
  skipped: number
  /** Events Segment did not accept (they will be retried by the next poll). */
  failed: number
  /**
   * Events Segment refused for good (a 4xx for that one event) or too large to fit its 32 KB even
   * cut: the cursor moves past them so they never block the events after them; see `refusals`.
   */
  refused: number
  /** Which events were refused, and Segment's answer (the CLI prints them and exits 6). */
  refusals: Array<{ messageId: string; reason: string }>
  /** Events sent with long text properties cut to fit Segment's 32 KB (`properties.truncated: true`). */
  truncated: number
  /** Metrics polled. */
  metrics: number
  /** Exclusive end of the window read, ISO. */
  windowEnd: string
  durationMs: number
  /** True when the poll ended early because stop() was called. */
  stopped: boolean
}

/** One-line human summary of a poll, as the CLI prints it. */
export function formatSummary(s: PollSummary): string {
  return (
    `fetched ${s.fetched}, sent ${s.sent}, skipped ${s.skipped}` +
    (s.truncated ? `, truncated ${s.truncated}` : '') +
    (s.refused ? `, refused ${s.refused}` : '') +
    (s.failed ? `, failed ${s.failed}` : '') +
    (s.stopped ? ' (stopped)' : '')
  )
}

/** What the poller reads from. */
export interface PageSource {
  pages(query: WindowQuery): AsyncGenerator<EventPage, void, undefined>
}

/** Where the poller sends to. */
export interface MessageSink {
  readonly host: string
  send(messages: readonly RelayTrackMessage[]): Promise<SendResult>
}

/** Dependencies and tuning of a {@link Poller}; the mapper's options ({@link MapOptions}) apply to every message. */
export interface PollerOptions extends MapOptions {
  source: PageSource
  sink: MessageSink
  store: ProgressStore
  /** Resolves the metrics to poll (called at every poll so new metrics are picked up). */
  resolveMetrics: () => Promise<EmailMetric[]>
  lookbackMs?: number
  /**
   * Write the state at most this often while paging (always at the end, on stop and on failure).
   * Default 0: after every page, which bounds what a killed process re-sends to one page per metric.
   */
  saveEveryMs?: number
  /** Metrics polled at the same time. Default 3. */
  metricConcurrency?: number
  now?: () => number
}

/** Where a running poll is, told after each page (a terminal shows it as a progress line). */
export interface PollProgress {
  /** Events read so far in this poll, all metrics. */
  fetched: number
  /** Of those, accepted by Segment. */
  sent: number
  /** Of those, not sent (sent before, or not mappable). */
  skipped: number
  /** The metric whose page just finished. */
  metric: string
  /** That metric's cursor, ISO: its events up to this time are in Segment. */
  cursor: string
}

/** Options of {@link Poller.pollOnce}. */
export interface PollRunOptions {
  /** Start of the window for metrics that have no saved cursor yet (the CLI's `--since`); ignored for the others. */
  seedMs?: number
  /** Told after each page; a throwing listener is ignored (a display never stops a poll). */
  onProgress?: (progress: PollProgress) => void
}

/** What a re-drive will send, reported before it sends anything. */
export interface RedrivePlan {
  /** Events in the re-driven windows (all metrics). */
  events: number
  /** Per metric: the window re-sent, [fromMs, toMs), and its event count. Metrics without a cursor are left out. */
  windows: Array<{ metric: string; fromMs: number; toMs: number; events: number }>
}

/** Runs polls; holds the loaded state between polls of a `--follow` run. */
export class Poller {
  private readonly o: PollerOptions
  private readonly lookbackMs: number
  private progress: Map<string, MetricProgress> | undefined
  private stopping = false
  private readonly stopCtl = new AbortController()
  private lastSave = 0

  constructor(options: PollerOptions) {
    this.o = options
    this.lookbackMs = options.lookbackMs ?? DEFAULT_LOOKBACK_SECONDS * 1000
  }

  /** Ask the running poll to finish its page in flight, save, and return. */
  stop(): void {
    this.stopping = true
    this.stopCtl.abort()
  }

  /** Forget the loaded state; the next poll reads the state file again. */
  reload(): void {
    this.progress = undefined
  }

  /** True once stop() was called. */
  get stopped(): boolean {
    return this.stopping
  }

  /**
   * One poll over every metric: from `cursor - lookback` for a metric with a saved cursor (the saved
   * state wins), else from `seedMs`, else from `now - lookback`.
   * Throws a typed error after saving the state if Klaviyo or Segment keep failing.
   */
  async pollOnce(options: PollRunOptions = {}): Promise<PollSummary> {
    const now = this.o.now?.() ?? Date.now()
    const endMs = Math.floor(now / 1000) * 1000
    const summary = emptySummary(endMs)
    const started = Date.now()
    this.progress ??= await this.o.store.load()
    const progress = this.progress
    refuseFutureCursors(progress, now, this.o.store.path)
    const metrics = await this.o.resolveMetrics()
    try {
      await this.eachMetric(metrics, async (metric) => {
        let p = progress.get(metric.id)
        if (!p) {
          p = new MetricProgress(metric.id, metric.name)
          progress.set(metric.id, p)
        }
        p.name = metric.name
        const startMs = p.cursor !== undefined ? p.cursor - this.lookbackMs : (options.seedMs ?? endMs - this.lookbackMs)
        // Nothing before the window start is wanted, so it is a valid cursor even before the first page
        // succeeds; without it a failed first poll would restart later and skip the events in between.
        if (p.cursor === undefined) p.cursor = startMs
        summary.metrics++
        await this.pollMetric(metric, p, startMs, endMs, summary, options.onProgress)
      })
    } finally {
      summary.stopped = this.stopping
      summary.durationMs = Date.now() - started
    }
    return summary
  }

  /**
   * Re-send every event in [fromMs, saved cursor) of each metric, whether or not it was sent before,
   * with its usual messageId. The cursor and the seen ids are left as they are. `onPlan` is told how
   * many events will be sent before the first one goes out (a counting pass over the same window).
   */
  async redrive(fromMs: number, onPlan?: (plan: RedrivePlan) => void): Promise<PollSummary> {
    const started = Date.now()
    this.progress ??= await this.o.store.load()
    const progress = this.progress
    refuseFutureCursors(progress, this.o.now?.() ?? Date.now(), this.o.store.path)
    const metrics = await this.o.resolveMetrics()
    const windows: Array<{ metric: EmailMetric; fromMs: number; toMs: number; events: number }> = []
    for (const metric of metrics) {
      const cursor = progress.get(metric.id)?.cursor
      if (cursor === undefined || cursor <= fromMs) continue
      let events = 0
      for await (const page of this.o.source.pages({ metricId: metric.id, startMs: fromMs, endMs: cursor })) {
        events += page.events.length
        if (this.stopping) break
      }
      windows.push({ metric, fromMs, toMs: cursor, events })
    }
    onPlan?.({ events: windows.reduce((n, w) => n + w.events, 0), windows: windows.map((w) => ({ metric: w.metric.name, fromMs: w.fromMs, toMs: w.toMs, events: w.events })) })
    const summary = emptySummary(windows.reduce((m, w) => Math.max(m, w.toMs), fromMs))
    try {
      await this.eachMetric(
        windows.map((w) => w.metric),
        async (metric) => {
          const w = windows.find((x) => x.metric === metric)!
          summary.metrics++
          for await (const page of this.o.source.pages({ metricId: metric.id, startMs: w.fromMs, endMs: w.toMs })) {
            await this.processPage(metric, progress.get(metric.id)!, page, summary, true)
            if (this.stopping) break
          }
        },
      )
    } finally {
      summary.stopped = this.stopping
      summary.durationMs = Date.now() - started
    }
    return summary
  }

  /**
   * Run `fn` for each metric, a few at a time. Metrics are independent streams (own cursor, own
   * Klaviyo paging), so a few run at once: paging within one metric is sequential by nature (each
   * cursor comes from the previous page), and overlapping several keeps the CPU busy while one
   * waits on Klaviyo or Segment. The first error is rethrown once the others finished their page.
   */
  private async eachMetric(metrics: EmailMetric[], fn: (metric: EmailMetric) => Promise<void>): Promise<void> {
    let next = 0
    const errors: unknown[] = []
    const worker = async () => {
      while (next < metrics.length && !this.stopping && !errors.length) {
        const metric = metrics[next++]
        try {
          await fn(metric)
        } catch (err) {
          errors.push(err)
        }
      }
    }
    const width = Math.max(1, Math.min(this.o.metricConcurrency ?? DEFAULT_METRIC_CONCURRENCY, metrics.length))
    await Promise.all(Array.from({ length: width }, worker))
    if (errors.length) throw errors[0]
  }

  private async pollMetric(metric: EmailMetric, p: MetricProgress, startMs: number, endMs: number, summary: PollSummary, onProgress?: (progress: PollProgress) => void): Promise<void> {
    const pages = this.o.source.pages({ metricId: metric.id, startMs, endMs })
    let next: Promise<IteratorResult<EventPage, void>> | undefined = pages.next()
    next.catch(() => undefined)
    let finished = false
    try {
      while (next) {
        // A page still being fetched is abandoned on stop (nothing of it was sent yet), so a stop
        // does not wait out Klaviyo's Retry-After; a page being sent is always finished.
        const r = await this.unlessStopped(next)
        if (r === 'stopped') break
        if (r.done) {
          finished = true
          p.advance(endMs, this.lookbackMs)
          await this.save(true)
          return
        }
        // Prefetch the next page while this one is mapped and sent. The no-op handler only keeps a
        // rejection from counting as unhandled while we are busy; awaiting `next` still throws it.
        next = this.stopping ? undefined : pages.next()
        next?.catch(() => undefined)
        await this.processPage(metric, p, r.value, summary)
        tellProgress(onProgress, summary, metric, p)
        if (this.stopping) break
      }
      await this.save(true)
    } catch (err) {
      await this.save(true).catch(() => undefined)
      throw err
    } finally {
      if (!finished) {
        // Discard a prefetch in flight; its events will be read again by the next poll.
        void pages.return(undefined).catch(() => undefined)
      }
    }
  }

  /**
   * `p`, or 'stopped' as soon as stop() is called. Not Promise.race against one long-lived stop
   * promise: every race would leave a reaction on it that keeps its page reachable (a leak that
   * showed as 2.7 GB RSS over 1M events); the listener here is removed once `p` settles.
   */
  private unlessStopped<T>(p: Promise<T>): Promise<T | 'stopped'> {
    const signal = this.stopCtl.signal
    if (signal.aborted) return Promise.resolve('stopped')
    return new Promise<T | 'stopped'>((resolve, reject) => {
      const onStop = () => resolve('stopped')
      signal.addEventListener('abort', onStop, { once: true })
      p.then(
        (v) => {
          signal.removeEventListener('abort', onStop)
          resolve(v)
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onStop)
          reject(e)
        },
      )
    })
  }

  /** Map and send one page; with `redrive`, send even events already sent and leave the progress alone. */
  private async processPage(metric: EmailMetric, p: MetricProgress, page: EventPage, summary: PollSummary, redrive = false): Promise<void> {
    const messages: RelayTrackMessage[] = []
    // Per event, in page (= time) order: its time, and its ids if it is sent now.
    const order: Array<{ eventId: string; messageId?: string; timeMs: number }> = []
    for (const { event, profile } of page.events) {
      summary.fetched++
      const id = typeof event.id === 'string' ? event.id : ''
      const iso = eventTime(event.attributes?.datetime, event.attributes?.timestamp)
      const timeMs = iso ? Date.parse(iso) : NaN
      if (!id || Number.isNaN(timeMs)) {
        summary.skipped++
        continue
      }
      if (!redrive && p.has(id)) {
        summary.skipped++
        order.push({ eventId: id, timeMs })
        continue
      }
      const msg = mapKlaviyoEvent({ event, profile, metricName: metric.name }, { integrations: this.o.integrations, linkParam: this.o.linkParam, machineOpens: this.o.machineOpens })
      if (!msg) {
        summary.skipped++
        order.push({ eventId: id, timeMs })
        continue
      }
      messages.push(msg)
      order.push({ eventId: id, messageId: msg.messageId, timeMs })
    }

    const result = messages.length ? await this.o.sink.send(messages) : { accepted: new Set<string>(), failed: [] }
    summary.sent += result.accepted.size
    summary.failed += result.failed.length
    summary.truncated += result.truncated?.length ?? 0
    // A refused event is final: Segment will refuse it again, so it must not hold the cursor.
    const refused = new Set<string>()
    for (const r of result.refused ?? []) {
      refused.add(r.messageId)
      summary.refused++
      if (summary.refusals.length < MAX_REPORTED_REFUSALS) summary.refusals.push({ messageId: r.messageId, reason: r.reason })
    }
    if (redrive) {
      if (result.failed.length) throw deliveryError(result, this.o.sink.host)
      return
    }

    // Remember every accepted event, even after a failure further on, so a retry skips it; move the
    // cursor only to the last event of the unbroken accepted prefix.
    let cursor: number | undefined
    let broken = false
    for (const o of order) {
      if (o.messageId && !result.accepted.has(o.messageId) && !refused.has(o.messageId)) broken = true
      else if (o.messageId) p.ack(o.eventId, o.timeMs)
      if (!broken) cursor = o.timeMs
    }
    if (cursor !== undefined) p.advance(cursor, this.lookbackMs)
    await this.save(result.failed.length > 0)
    if (result.failed.length) throw deliveryError(result, this.o.sink.host)
  }

  private async save(force: boolean): Promise<void> {
    const saveEvery = this.o.saveEveryMs ?? 0
    if (!force && Date.now() - this.lastSave < saveEvery) return
    this.lastSave = Date.now()
    if (this.progress) await this.o.store.save(this.progress.values())
  }
}

function tellProgress(onProgress: ((progress: PollProgress) => void) | undefined, summary: PollSummary, metric: EmailMetric, p: MetricProgress): void {
  if (!onProgress || p.cursor === undefined) return
  try {
    onProgress({ fetched: summary.fetched, sent: summary.sent, skipped: summary.skipped, metric: metric.name, cursor: new Date(p.cursor).toISOString() })
  } catch { /* a display never stops a poll */ }
}

/** Throw (exit 2) when a saved cursor is more than {@link MAX_CURSOR_SKEW_MS} ahead of `nowMs`. */
function refuseFutureCursors(progress: Map<string, MetricProgress>, nowMs: number, path: string): void {
  for (const p of progress.values()) {
    if (p.cursor === undefined || p.cursor - nowMs <= MAX_CURSOR_SKEW_MS) continue
    throw new StateFileError(
      path,
      `metric "${p.name}" (${p.metricId}) has its cursor at ${new Date(p.cursor).toISOString()}, ${formatAhead(p.cursor - nowMs)} ahead of this host's clock ` +
        `(${new Date(nowMs).toISOString()}). The host that wrote it had a clock running ahead; polling from there would skip the events in between. ` +
        `Fix the clocks (NTP), then set that cursor to the last time you know was sent (or remove the metric's entry and pass --since). Nothing was sent.`,
    )
  }
}

function formatAhead(ms: number): string {
  const minutes = Math.round(ms / 60_000)
  if (minutes < 120) return `${minutes} min`
  const hours = Math.round(minutes / 60)
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`
}

function emptySummary(endMs: number): PollSummary {
  return { fetched: 0, sent: 0, skipped: 0, failed: 0, refused: 0, refusals: [], truncated: 0, metrics: 0, windowEnd: new Date(endMs).toISOString(), durationMs: 0, stopped: false }
}

/** True for errors a `--follow` loop should log and retry at the next interval rather than exit on. */
export function isTransient(err: unknown): boolean {
  if (err instanceof UnreachableHostError || err instanceof SegmentDeliveryError) return true
  if (err instanceof KlaviyoResponseError) return true
  if (err instanceof KlaviyoApiError) return err.status >= 500 || err.status === 429
  return !(err instanceof RelayError)
}
