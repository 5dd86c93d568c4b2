/**
 * `createRelay()`: wires the Klaviyo source, the Segment sink, the state file and the webhook
 * handler together behind one object. Clients are created on first use, so a webhook-only
 * deployment needs no Klaviyo private key and a poll-only one needs no webhook secret.
 */
import { MissingKeyError, RelayError } from './errors'
import { createKlaviyoClients, type KlaviyoRetryOptions } from './klaviyo-client'
import { DEFAULT_PAGE_SIZE, KlaviyoSource } from './klaviyo-source'
import { findEmailMetrics } from './metrics'
import { DEFAULT_LOOKBACK_SECONDS, Poller, formatSummary, isTransient, type PollProgress, type PollSummary, type RedrivePlan } from './poll'
import { SegmentSink, type SegmentSinkOptions } from './segment-sink'
import { segmentHost, type SegmentRegion } from './segment-region'
import { startWebhookServer, type WebhookServer } from './serve'
import { DEFAULT_STATE_PATH, StateStore } from './state'
import { StateLock } from './state-lock'
import { createWebhookApp, webhookConfigOf, WebhookConfigError } from '../webhook/config'
import type { FetchHandler } from '../webhook/dispatch'
import type { MapOptions } from '../shared/klaviyo-map'
import type { WebhookResponseBody } from '../webhook/http'
import { redactSecrets } from '../shared/redact'

/** Default pause between polls of `follow()`, seconds. */
export const DEFAULT_INTERVAL_SECONDS = 60

/** Options of {@link createRelay}. Keys are only required by the modes that use them. The mapper's options ({@link MapOptions}) apply to poll and serve alike. */
export interface RelayOptions extends MapOptions {
  /** Klaviyo private API key (scopes events:read, metrics:read, profiles:read). Needed to poll. */
  klaviyoPrivateKey?: string
  /** Segment source write key. Always needed. */
  segmentWriteKey?: string
  /** Klaviyo webhook secret_key (several during a rotation). Needed for Klaviyo webhooks (with `klaviyoPrivateKey`, for profile look-ups). */
  webhookSecret?: string | readonly string[]
  /** Shopify webhook signing secret(s) (SHOPIFY_WEBHOOK_SECRET). Needed for Shopify order webhooks. */
  shopifyWebhookSecret?: string | readonly string[]
  /** SHOPIFY_ORDERS: 'completed' (default) sends Order Completed; 'link' sends Order Linked. */
  shopifyOrders?: 'completed' | 'link'
  /** Default https://a.klaviyo.com. */
  klaviyoApiBase?: string
  /** Default https://api.segment.io, or the {@link segmentRegion}'s host. Wins over the region. */
  segmentApiHost?: string
  /** Segment workspace region: 'us' (default) or 'eu' (https://events.eu1.segmentapis.com). */
  segmentRegion?: SegmentRegion
  /** Poll state file. Default `.mailstitch-state.json` in the working directory. */
  statePath?: string
  /** How far each poll re-reads before the cursor to catch late events. Default 600. */
  lookbackSeconds?: number
  /** Klaviyo events per page (1–1000). Default 1000. */
  pageSize?: number
  /** Email metrics polled at the same time. Default 3. */
  metricConcurrency?: number
  /** How far in the past a webhook's `Klaviyo-Timestamp` may lie, seconds. Default 43,200 (12 hours; see src/webhook/signature.ts). */
  webhookToleranceSeconds?: number
  /** Time a webhook request may spend on Segment (retries included) before answering 503, ms. Default 10,000. */
  webhookSegmentBudgetMs?: number
  /** Webhook body cap in bytes. Default 4 MiB. */
  maxBodyBytes?: number
  /** Klaviyo retry/timeout tuning. */
  klaviyoRetry?: KlaviyoRetryOptions
  /** Segment delivery tuning. */
  segment?: Omit<SegmentSinkOptions, 'writeKey' | 'host'>
  /** Receives one-line progress and warning messages. Default: none. */
  log?: (line: string) => void
}

/** Options of {@link Relay.pollOnce}. */
export interface PollOnceOptions {
  /** Start of the window for metrics with no saved cursor yet; once a cursor is saved, the saved state wins. */
  since?: Date | string
  /** Told after each page of a poll (counts so far, the metric's cursor), e.g. for a progress line. */
  onProgress?: (progress: PollProgress) => void
}

/** Options of {@link Relay.redrive}. */
export interface RedriveOptions {
  /** Re-send every event from this time up to the saved cursor. */
  from: Date | string
  /** Told how many events will be sent, before the first one goes out. */
  onPlan?: (plan: RedrivePlan) => void
}

/** Options of {@link Relay.follow}. */
export interface FollowOptions extends PollOnceOptions {
  /** Pause between polls, seconds. Default 60. */
  intervalSeconds?: number
  /** Called after each successful poll. */
  onPoll?: (summary: PollSummary) => void
  /** Called when a poll failed for a reason worth retrying (outage); fatal errors reject `follow()` instead. */
  onError?: (error: Error) => void
}

/** A configured relay. */
export interface Relay {
  /** One poll over every email metric; resolves with its counts. */
  pollOnce(options?: PollOnceOptions): Promise<PollSummary>
  /** Re-send [from, saved cursor) of every metric with its usual messageIds; the cursor does not move. */
  redrive(options: RedriveOptions): Promise<PollSummary>
  /** Poll every `intervalSeconds` until {@link Relay.stop}; rejects on configuration errors (keys, metrics, state file). */
  follow(options?: FollowOptions): Promise<void>
  /** Handle one webhook request (raw body bytes + headers); answers 2xx only after Segment accepted. */
  handleWebhook(rawBody: Uint8Array | string, headers: HeadersInput): Promise<WebhookResponse>
  /** The fetch-style webhook app (`Request` → `Response`) that `serve()` runs. */
  webhookApp(): FetchHandler
  /** Listen for Klaviyo (and Shopify) webhooks on a node:http server. */
  serve(options?: { port?: number; host?: string }): Promise<WebhookServer>
  /** Finish the page in flight, save state, close the server, flush Segment. Idempotent. */
  stop(): Promise<void>
}

/** Request headers: Node's IncomingHttpHeaders, a plain object, or a fetch `Headers`. */
export type HeadersInput = Record<string, string | string[] | undefined> | Headers

/** What a webhook request was answered. */
export interface WebhookResponse {
  status: number
  headers: Record<string, string>
  body: WebhookResponseBody
}

/** Create a relay. Nothing connects until a method is called. */
export function createRelay(options: RelayOptions): Relay {
  // Lines quote errors and URLs: credentials in them are redacted before any logger sees them.
  const log = (line: string) => options.log?.(redactSecrets(line))
  const abort = new AbortController()
  let sink: SegmentSink | undefined
  let poller: Poller | undefined
  let lock: StateLock | undefined
  let app: FetchHandler | undefined
  const servers: WebhookServer[] = []
  let running: Promise<unknown> = Promise.resolve()
  let wake: (() => void) | undefined
  let stopped: Promise<void> | undefined

  const getSink = (): SegmentSink => {
    if (sink) return sink
    if (!options.segmentWriteKey) throw new MissingKeyError('SEGMENT_WRITE_KEY', 'the write key of the Segment source that receives the email events')
    sink = new SegmentSink({ ...options.segment, writeKey: options.segmentWriteKey, host: segmentHost(options.segmentApiHost, options.segmentRegion) })
    return sink
  }

  // Built once, on the first poll: that is where the Klaviyo SDK (an optional peer dependency) is loaded.
  let pollerReady: Promise<Poller> | undefined
  const getPoller = (): Promise<Poller> =>
    (pollerReady ??= buildPoller().catch((err: unknown) => {
      pollerReady = undefined
      throw err
    }))

  const buildPoller = async (): Promise<Poller> => {
    if (!options.klaviyoPrivateKey) throw new MissingKeyError('KLAVIYO_PRIVATE_KEY', 'a Klaviyo private API key with scopes events:read, metrics:read, profiles:read')
    const s = getSink()
    const k = await createKlaviyoClients({ privateKey: options.klaviyoPrivateKey, apiBase: options.klaviyoApiBase, retry: options.klaviyoRetry, signal: abort.signal })
    const store = new StateStore(options.statePath ?? DEFAULT_STATE_PATH)
    lock = new StateLock(store.path, { log })
    poller = new Poller({
      source: new KlaviyoSource(k.events, k.apiBase, clampPageSize(options.pageSize)),
      sink: s,
      store,
      resolveMetrics: () => findEmailMetrics(k.metrics, k.apiBase),
      lookbackMs: (options.lookbackSeconds ?? DEFAULT_LOOKBACK_SECONDS) * 1000,
      metricConcurrency: options.metricConcurrency,
      integrations: options.integrations,
      linkParam: options.linkParam,
      machineOpens: options.machineOpens,
    })
    if (stopped) poller.stop() // stop() came while the SDK was loading
    return poller
  }

  // The Web-API webhook core (src/webhook), configured from the same names as the environment.
  const getApp = (): FetchHandler => {
    if (app) return app
    // The typed options straight into the webhook configuration (no environment re-shaping).
    const list = (v: string | readonly string[] | undefined) => (typeof v === 'string' ? v.split(',') : [...(v ?? [])]).map((x) => x.trim()).filter(Boolean)
    try {
      const config = webhookConfigOf({
        klaviyoWebhookSecrets: list(options.webhookSecret),
        klaviyoPrivateKey: options.klaviyoPrivateKey,
        klaviyoApiBase: options.klaviyoApiBase,
        segmentWriteKey: options.segmentWriteKey,
        segmentApiHost: options.segmentApiHost,
        segmentRegion: options.segmentRegion,
        shopifyWebhookSecrets: list(options.shopifyWebhookSecret),
        shopifyOrders: options.shopifyOrders ?? 'completed',
      })
      app = createWebhookApp(config, {
        toleranceSeconds: options.webhookToleranceSeconds,
        maxBodyBytes: options.maxBodyBytes,
        segmentBudgetMs: options.webhookSegmentBudgetMs,
        integrations: options.integrations,
        linkParam: options.linkParam,
        machineOpens: options.machineOpens,
        log,
      })
    } catch (err) {
      if (err instanceof WebhookConfigError) throw Object.assign(new RelayError('missing_key', err.message), { variable: err.variable })
      throw err
    }
    return app
  }

  const assertLive = () => {
    if (stopped) throw new Error('relay is stopped')
  }

  // Polls are serialised: two overlapping polls on one state file would both send the same events.
  // Across processes the state file's lock does the same (the second poller stops at once). A
  // `--follow` run holds it from its first poll to stop(); a single poll holds it while it runs.
  let following = false
  const exclusive = <T>(p: Poller, fn: () => Promise<T>): Promise<T> => {
    const locked = async () => {
      if (stopped) throw new Error('relay is stopped')
      if (!lock!.isHeld) {
        await lock!.acquire()
        p.reload() // another process may have moved the state on while we did not hold it
      }
      try {
        return await fn()
      } finally {
        if (!following) await lock!.release()
      }
    }
    const next = running.then(locked, locked)
    running = next.catch(() => undefined)
    return next
  }

  const relay: Relay = {
    async pollOnce(opts = {}) {
      assertLive()
      const since = parseSince(opts.since)
      const p = await getPoller()
      return exclusive(p, () => p.pollOnce({ seedMs: since, onProgress: opts.onProgress }))
    },

    async redrive(opts) {
      assertLive()
      const from = parseSince(opts.from)
      if (from === undefined) throw new RangeError('redrive: a start time is required')
      const p = await getPoller()
      return exclusive(p, () => p.redrive(from, opts.onPlan))
    },

    async follow(opts = {}) {
      assertLive()
      const p = await getPoller()
      const intervalMs = Math.max(0, (opts.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS) * 1000)
      const since = parseSince(opts.since)
      following = true
      while (!p.stopped) {
        try {
          // --since only seeds metrics without a cursor; after the first poll every metric has one.
          const summary = await exclusive(p, () => p.pollOnce({ seedMs: since, onProgress: opts.onProgress }))
          ;(opts.onPoll ?? ((s: PollSummary) => log(formatSummary(s))))(summary)
        } catch (err) {
          if (!isTransient(err)) throw err
          if (p.stopped) break // the stop itself cut the retries short; the state is saved
          ;(opts.onError ?? ((e: Error) => log(`poll failed, retrying in ${intervalMs / 1000}s: ${e.message}`)))(err as Error)
        }
        if (p.stopped) break
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, intervalMs)
          wake = done
          function done() {
            clearTimeout(t)
            wake = undefined
            resolve()
          }
        })
      }
    },

    async handleWebhook(rawBody, headers) {
      assertLive()
      const h = new Headers()
      if (headers instanceof Headers) headers.forEach((v, k) => h.set(k, v))
      else for (const [k, v] of Object.entries(headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v)
      const body = typeof rawBody === 'string' ? rawBody : new Uint8Array(rawBody)
      const res = await getApp()(new Request('http://relay.local/', { method: 'POST', headers: h, body }))
      const out: Record<string, string> = {}
      res.headers.forEach((v, k) => (out[k] = v))
      return { status: res.status, headers: out, body: (await res.json()) as WebhookResponseBody }
    },

    webhookApp() {
      assertLive()
      return getApp()
    },

    async serve(opts = {}) {
      assertLive()
      const server = await startWebhookServer({ handler: getApp(), port: opts.port, host: opts.host, maxBodyBytes: options.maxBodyBytes, log })
      servers.push(server)
      return server
    },

    stop() {
      stopped ??= (async () => {
        poller?.stop()
        wake?.()
        // Cut retry waits short: a page being sent still gets Segment's answer for the request in
        // flight, but is not retried for minutes; whatever was not accepted stays behind the cursor.
        abort.abort()
        await sink?.close()
        await Promise.allSettled(servers.map((s) => s.close()))
        await running.catch(() => undefined)
        await lock?.release()
      })()
      return stopped
    },
  }
  return relay
}

function clampPageSize(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n)) return DEFAULT_PAGE_SIZE
  return Math.min(1000, Math.max(1, Math.floor(n)))
}

function parseSince(since: Date | string | undefined): number | undefined {
  if (since === undefined) return undefined
  const ms = since instanceof Date ? since.getTime() : Date.parse(since)
  if (Number.isNaN(ms)) throw new RangeError(`since: not a valid date: ${String(since)}`)
  return ms
}
