/**
 * A local stand-in for Segment: the tracking API that `@segment/analytics-next` (browser) and
 * `@segment/analytics-node` post to, the CDN settings endpoint, and the analytics.js bundle
 * itself, so real pages run the real SDK with no internet. Events are kept in memory (and
 * optionally appended to a JSON-lines file) for tests, the demo viewer and benchmarks.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import type http from 'node:http'
import {
  FaultInjector,
  answerPreflight,
  applyCors,
  closeServer,
  createServer,
  isRecord,
  listen,
  parseJson,
  readBody,
  requestHost,
  safeDecode,
  sendJson,
  sleep,
  type FaultSpec,
  type ListenOptions,
  type RunningServer,
} from './http-util'

/** The six Segment spec call types. */
export type SegmentEventType = 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias'

/** One accepted event, as sent, plus what the collector adds (`receivedAt`, normalised `type`). */
export interface SegmentEvent {
  type: SegmentEventType
  /** Sender's id, or `api-<uuid>` when the sender gave none (as Segment fills it in). */
  messageId: string
  /** ISO time the collector accepted the event. */
  receivedAt: string
  userId?: string | null
  anonymousId?: string | null
  /** Track event name. */
  event?: string
  /** Page/screen name. */
  name?: string
  traits?: Record<string, unknown>
  properties?: Record<string, unknown>
  context?: Record<string, unknown>
  integrations?: Record<string, unknown>
  timestamp?: string
  sentAt?: string
  writeKey?: string
  previousId?: string
  groupId?: string
  [key: string]: unknown
}

/** An event Segment would have dropped (answering 200 for the request anyway). */
export interface RejectedEvent {
  /** Machine-readable reason, e.g. `missing_user_id_and_anonymous_id`. */
  reason: string
  /** The event as received. */
  event: unknown
  /** Request path it came in on. */
  path: string
  /** ISO time it was received. */
  receivedAt: string
}

/** One tracking request as the collector saw it (including failed ones). */
export interface CollectorRequest {
  method: string
  path: string
  /** Status the collector answered. */
  status: number
  /** Write key the request authenticated with, if any. */
  writeKey?: string
  /** Events in the body that were accepted (not rejected, not duplicates). */
  accepted: number
  /** Value of `X-Retry-Count` (analytics-next / analytics-node retries), 0 if absent. */
  retryCount: number
  contentType?: string
  at: string
}

/** Options for {@link startSegmentCollector}. */
export interface SegmentCollectorOptions extends ListenOptions {
  /** Accepted write keys; undefined accepts any non-empty key. */
  writeKeys?: string[]
  /** Append every accepted event as one JSON line to this file. */
  jsonlPath?: string
  /**
   * Force the `apiHost` handed out in CDN settings (e.g. `'127.0.0.1:4000/v1'`). By default it
   * follows the Host header the page used, so `localhost` and `127.0.0.1` pages both work.
   */
  apiHost?: string
}

/** Listener for accepted events. */
export type SegmentEventListener = (event: SegmentEvent) => void

/** A running collector (see {@link startSegmentCollector}). */
export interface SegmentCollector extends RunningServer {
  /** Accepted events, oldest first (a copy). */
  events(): SegmentEvent[]
  /** Events Segment would have dropped. */
  rejected(): RejectedEvent[]
  /** How many events repeated an already accepted `messageId`. */
  duplicates(): number
  /** Tracking requests received, including failed and faulted ones. */
  requests(): number
  /** Per-request log of tracking requests. */
  requestLog(): CollectorRequest[]
  /** Resolve with the first event (past or future) matching `predicate`; reject after `timeoutMs`. */
  waitFor(predicate: (e: SegmentEvent) => boolean, timeoutMs?: number): Promise<SegmentEvent>
  /** Forget all events, rejections, counters, faults and latency. */
  reset(): void
  /** Make the next `count` tracking requests fail with `status` (and `Retry-After`). */
  setFault(spec: FaultSpec): void
  /** Cancel a pending fault. */
  clearFault(): void
  /** Delay every tracking response by `ms`. */
  setLatency(ms: number): void
  /** Call `cb` for each accepted event; returns an unsubscribe function. */
  subscribe(cb: SegmentEventListener): () => void
  /** Same as {@link SegmentCollector.subscribe}, EventEmitter-style. */
  on(name: 'event', cb: SegmentEventListener): () => void
}

/** Segment's documented limits (HTTP Tracking API). */
export const SEGMENT_LIMITS = {
  /** Max request body for `/batch` (and our cap for every tracking call). */
  maxBodyBytes: 500 * 1024,
  /** Max size of one event. */
  maxEventBytes: 32 * 1024,
  /** Max events per batch. */
  maxBatchEvents: 2500,
  /** Max messageId length. */
  maxMessageIdLength: 100,
} as const

const TYPES: readonly SegmentEventType[] = ['identify', 'track', 'page', 'screen', 'group', 'alias']

// analytics-next posts to the one-letter aliases; the HTTP API and analytics-node use full names.
const SINGLE_PATHS: Record<string, SegmentEventType> = {
  i: 'identify',
  t: 'track',
  p: 'page',
  s: 'screen',
  g: 'group',
  a: 'alias',
  identify: 'identify',
  track: 'track',
  page: 'page',
  screen: 'screen',
  group: 'group',
  alias: 'alias',
}
const BATCH_PATHS = new Set(['b', 'batch', 'import'])

interface AnalyticsNextAssets {
  dir: string
  files: Set<string>
}

// Located through module resolution (not a relative path) so it works from any cwd or layout.
function locateAnalyticsNext(): AnalyticsNextAssets | null {
  try {
    const require = createRequire(import.meta.url)
    const dir = path.join(path.dirname(require.resolve('@segment/analytics-next/package.json')), 'dist', 'umd')
    return { dir, files: new Set(readdirSync(dir).filter((f) => /^[\w.-]+\.js(\.map)?$/.test(f))) }
  } catch {
    return null
  }
}

/**
 * Prepended to standalone.js. analytics-next derives its CDN (chunk base URL and settings host)
 * from a script src matching `https://…/analytics.js/v1/…`, and falls back to
 * https://cdn.segment.com otherwise; a page loading the bundle straight from this collector over
 * plain http would thus fetch chunks and settings from the internet. Setting the snippet's
 * `_cdn` (read by `getCDN()` before the script-tag scan) to our origin keeps it local. A page
 * whose https://cdn.segment.com requests are routed here is left untouched.
 */
const STANDALONE_PRELUDE = `/* mailstitch sandbox: keep analytics.js on the local collector */
;(function(){try{var s=document.currentScript,src=(s&&s.src)||'';var m=/^(http:\\/\\/[^/]+)\\/analytics\\.js\\/v1\\//.exec(src);if(!m)return;var k=document.querySelector('script[data-global-segment-analytics-key]');var key=(k&&k.getAttribute('data-global-segment-analytics-key'))||'analytics';var a=window[key];if(a&&!a._cdn)a._cdn=m[1];}catch(e){}})();
`

function decodeBasicAuth(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Basic\s+(\S+)\s*$/i.exec(header)
  if (!m) return undefined
  const decoded = Buffer.from(m[1], 'base64').toString('utf8')
  const i = decoded.indexOf(':')
  const key = i >= 0 ? decoded.slice(0, i) : decoded
  return key || undefined
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0
}

// Mirrors what Segment drops silently (200 for the request, event not stored).
function rejectionReason(ev: Record<string, unknown>, type: SegmentEventType): string | null {
  const hasUser = nonEmptyString(ev.userId) || typeof ev.userId === 'number'
  const hasAnon = nonEmptyString(ev.anonymousId) || typeof ev.anonymousId === 'number'
  if (!hasUser && !hasAnon) return 'missing_user_id_and_anonymous_id'
  if (type === 'track' && !nonEmptyString(ev.event)) return 'track_missing_event_name'
  if (type === 'alias' && !nonEmptyString(ev.previousId)) return 'alias_missing_previous_id'
  if (type === 'group' && !(nonEmptyString(ev.groupId) || typeof ev.groupId === 'number')) return 'group_missing_group_id'
  if (ev.messageId !== undefined && (typeof ev.messageId !== 'string' || ev.messageId.length > SEGMENT_LIMITS.maxMessageIdLength)) {
    return 'invalid_message_id'
  }
  if (Buffer.byteLength(JSON.stringify(ev)) > SEGMENT_LIMITS.maxEventBytes) return 'event_too_large'
  return null
}

/** Start a Segment collector; see the module comment for what it serves. */
export async function startSegmentCollector(opts: SegmentCollectorOptions = {}): Promise<SegmentCollector> {
  const writeKeys = opts.writeKeys ? new Set(opts.writeKeys) : null
  const assets = locateAnalyticsNext()
  const assetCache = new Map<string, Buffer>()
  let events: SegmentEvent[] = []
  let rejected: RejectedEvent[] = []
  let seen = new Set<string>()
  let duplicateCount = 0
  let requestCount = 0
  let log: CollectorRequest[] = []
  const listeners = new Set<SegmentEventListener>()
  const faults = new FaultInjector()
  let boundHost = ''
  let boundPort = 0

  const keyAllowed = (k: string | undefined): k is string => !!k && (!writeKeys || writeKeys.has(k))

  function accept(raw: Record<string, unknown>, type: SegmentEventType, reqPath: string, batchDefaults: Record<string, unknown>): 'accepted' | 'duplicate' | 'rejected' {
    const receivedAt = new Date().toISOString()
    const reason = rejectionReason(raw, type)
    if (reason) {
      rejected.push({ reason, event: raw, path: reqPath, receivedAt })
      return 'rejected'
    }
    const messageId = typeof raw.messageId === 'string' && raw.messageId ? raw.messageId : `api-${randomUUID()}`
    if (seen.has(messageId)) {
      duplicateCount++
      return 'duplicate'
    }
    seen.add(messageId)
    const ev: SegmentEvent = { ...raw, type, messageId, receivedAt }
    // Batch-level context/integrations/sentAt apply to every event in the batch (HTTP API rule).
    if (isRecord(batchDefaults.context)) ev.context = { ...batchDefaults.context, ...(isRecord(raw.context) ? raw.context : {}) }
    if (isRecord(batchDefaults.integrations)) {
      ev.integrations = { ...batchDefaults.integrations, ...(isRecord(raw.integrations) ? raw.integrations : {}) }
    }
    if (ev.sentAt === undefined && typeof batchDefaults.sentAt === 'string') ev.sentAt = batchDefaults.sentAt
    events.push(ev)
    for (const cb of [...listeners]) {
      try {
        cb(ev)
      } catch {
        // A throwing test listener must not break ingestion.
      }
    }
    return 'accepted'
  }

  async function handleTracking(req: http.IncomingMessage, res: http.ServerResponse, reqPath: string, kind: SegmentEventType | 'batch'): Promise<void> {
    requestCount++
    const entry: CollectorRequest = {
      method: req.method ?? 'POST',
      path: reqPath,
      status: 0,
      accepted: 0,
      retryCount: Number(req.headers['x-retry-count']) || 0,
      contentType: req.headers['content-type'],
      at: new Date().toISOString(),
    }
    log.push(entry)
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      entry.status = status
      sendJson(res, status, payload, headers)
    }

    const body = await readBody(req, SEGMENT_LIMITS.maxBodyBytes)
    if (faults.latency) await sleep(faults.latency)
    const fault = faults.take()
    if (fault) {
      reply(fault.status, { success: false, message: 'injected fault' }, fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {})
      return
    }
    if (!body.ok) {
      if (body.reason === 'too_large') reply(413, { success: false, message: `request body exceeds ${SEGMENT_LIMITS.maxBodyBytes} bytes`, code: 'payload_too_large' })
      else res.destroy()
      return
    }
    const parsed = parseJson(body.body)
    if (!parsed.ok || !isRecord(parsed.value)) {
      reply(400, { success: false, message: 'invalid JSON', code: 'invalid_request' })
      return
    }
    const payload = parsed.value
    const batch = kind === 'batch' ? payload.batch : undefined
    if (kind === 'batch' && !Array.isArray(batch)) {
      reply(400, { success: false, message: 'batch must be an array', code: 'invalid_request' })
      return
    }

    // Header wins (analytics-next and analytics-node both send Basic auth); the body key is the fallback.
    let writeKey = decodeBasicAuth(req.headers.authorization)
    if (!writeKey && nonEmptyString(payload.writeKey)) writeKey = payload.writeKey
    if (!writeKey && Array.isArray(batch)) {
      const first = batch.find((e): e is Record<string, unknown> => isRecord(e) && nonEmptyString(e.writeKey))
      writeKey = first?.writeKey as string | undefined
    }
    entry.writeKey = writeKey
    if (!keyAllowed(writeKey)) {
      reply(401, { success: false, message: writeKey ? 'unknown write key' : 'missing write key', code: 'unauthorized' })
      return
    }

    const before = events.length
    if (kind === 'batch') {
      const items = batch as unknown[]
      const defaults = { context: payload.context, integrations: payload.integrations, sentAt: payload.sentAt }
      const tooMany = items.length > SEGMENT_LIMITS.maxBatchEvents
      for (const item of items) {
        const receivedAt = new Date().toISOString()
        if (tooMany) {
          rejected.push({ reason: 'batch_too_many_events', event: item, path: reqPath, receivedAt })
          continue
        }
        if (!isRecord(item)) {
          rejected.push({ reason: 'event_not_an_object', event: item, path: reqPath, receivedAt })
          continue
        }
        const t = TYPES.find((x) => x === item.type)
        if (!t) {
          rejected.push({ reason: 'invalid_type', event: item, path: reqPath, receivedAt })
          continue
        }
        accept(item, t, reqPath, defaults)
      }
    } else {
      // Segment's single-event endpoints answer 400 for an oversized event rather than dropping it.
      if (body.body.length > SEGMENT_LIMITS.maxEventBytes) {
        reply(400, { success: false, message: `event exceeds ${SEGMENT_LIMITS.maxEventBytes} bytes`, code: 'payload_too_large' })
        return
      }
      accept(payload, kind, reqPath, {})
    }
    const written = events.slice(before)
    entry.accepted = written.length
    if (opts.jsonlPath && written.length) {
      try {
        appendFileSync(opts.jsonlPath, written.map((e) => JSON.stringify(e)).join('\n') + '\n')
      } catch {
        // The file is a convenience; a bad path must not fail the tracking request.
      }
    }
    reply(200, { success: true })
  }

  function settingsFor(writeKey: string, req: http.IncomingMessage): Record<string, unknown> {
    // Trust the Host header only when it names our port: a request proxied from
    // cdn.segment.com (Playwright routing) may carry the original host.
    const host = requestHost(req, boundHost)
    const apiHost = opts.apiHost ?? `${host.endsWith(`:${boundPort}`) ? host : boundHost}/v1`
    return {
      integrations: {
        'Segment.io': {
          apiKey: writeKey,
          apiHost,
          protocol: 'http',
          unbundledIntegrations: [],
          addBundledMetadata: true,
          maybeBundledConfigIds: {},
          versionSettings: { version: '4.4.7', componentTypes: ['browser'] },
        },
      },
      plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
      metrics: { sampleRate: 0 },
      middlewareSettings: {},
      enabledMiddleware: {},
      edgeFunction: {},
      analyticsNextEnabled: true,
      legacyVideoPluginsEnabled: false,
      remotePlugins: [],
    }
  }

  function serveAsset(res: http.ServerResponse, file: string, prelude = ''): void {
    if (!assets || !assets.files.has(file)) {
      sendJson(res, 404, { success: false, message: `no such asset: ${file}` })
      return
    }
    let buf = assetCache.get(file)
    if (!buf) {
      buf = readFileSync(path.join(assets.dir, file))
      assetCache.set(file, buf)
    }
    const out = prelude ? Buffer.concat([Buffer.from(prelude), buf]) : buf
    res.statusCode = 200
    res.setHeader('Content-Type', file.endsWith('.map') ? 'application/json' : 'application/javascript; charset=utf-8')
    res.setHeader('Content-Length', out.length)
    res.setHeader('Cache-Control', 'no-cache')
    res.end(out)
  }

  function filteredEvents(q: URLSearchParams): SegmentEvent[] {
    return events.filter((e) => {
      for (const k of ['type', 'event', 'userId', 'anonymousId', 'messageId', 'name'] as const) {
        const want = q.get(k)
        if (want !== null && String(e[k] ?? '') !== want) return false
      }
      return true
    })
  }

  function methodNotAllowed(res: http.ServerResponse, allow: string): void {
    sendJson(res, 405, { success: false, message: 'method not allowed' }, { Allow: allow })
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    applyCors(req, res)
    const method = (req.method ?? 'GET').toUpperCase()
    if (method === 'OPTIONS') {
      answerPreflight(req, res)
      return
    }
    const url = new URL(req.url ?? '/', 'http://collector.invalid')
    const p = url.pathname
    const isGet = method === 'GET' || method === 'HEAD'

    let m = /^\/v1\/([a-z]+)\/?$/.exec(p)
    if (m && (SINGLE_PATHS[m[1]] || BATCH_PATHS.has(m[1]))) {
      if (method !== 'POST') return methodNotAllowed(res, 'POST, OPTIONS')
      await handleTracking(req, res, p, BATCH_PATHS.has(m[1]) ? 'batch' : SINGLE_PATHS[m[1]])
      return
    }
    if (p === '/v1/m' || p === '/m') {
      // analytics-next remote metrics: accepted and ignored (sampleRate 0 normally silences them).
      if (method !== 'POST') return methodNotAllowed(res, 'POST, OPTIONS')
      req.resume()
      sendJson(res, 200, { success: true })
      return
    }
    m = /^\/v1\/projects\/([^/]+)\/settings\/?$/.exec(p)
    if (m) {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      const key = safeDecode(m[1])
      if (key === undefined || (writeKeys && !writeKeys.has(key))) {
        sendJson(res, 404, { success: false, message: 'unknown write key' })
        return
      }
      sendJson(res, 200, settingsFor(key, req))
      return
    }
    m = /^\/analytics\.js\/v1\/([^/]+)\/(?:platform\/)?analytics(?:\.min)?\.js$/.exec(p)
    if (m) {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      serveAsset(res, 'standalone.js', STANDALONE_PRELUDE)
      return
    }
    m = /^\/analytics-next\/bundles\/([^/]+)$/.exec(p)
    if (m) {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      serveAsset(res, m[1])
      return
    }
    if (p === '/_/events' || p === '/_/events.jsonl') {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      const list = filteredEvents(url.searchParams)
      if (p === '/_/events') {
        sendJson(res, 200, list)
      } else {
        const text = list.map((e) => JSON.stringify(e)).join('\n') + (list.length ? '\n' : '')
        res.statusCode = 200
        res.setHeader('Content-Type', 'application/x-ndjson')
        res.end(text)
      }
      return
    }
    if (p === '/_/rejected') {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      sendJson(res, 200, rejected)
      return
    }
    if (p === '/_/stats') {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      sendJson(res, 200, { events: events.length, rejected: rejected.length, duplicates: duplicateCount, requests: requestCount })
      return
    }
    if (p === '/_/reset') {
      if (method !== 'POST') return methodNotAllowed(res, 'POST, OPTIONS')
      req.resume()
      collector.reset()
      sendJson(res, 200, { success: true })
      return
    }
    if (p === '/' || p === '/_/health') {
      sendJson(res, 200, { ok: true, service: 'mailstitch segment collector' })
      return
    }
    req.resume()
    sendJson(res, 404, { success: false, message: `not found: ${p}` })
  }

  const server = createServer(handle, (res, err) => sendJson(res, 500, { success: false, message: err instanceof Error ? err.message : 'internal error' }))
  const where = await listen(server, opts)
  boundHost = new URL(where.url).host
  boundPort = where.port

  const collector: SegmentCollector = {
    url: where.url,
    port: where.port,
    close: () => closeServer(server),
    events: () => [...events],
    rejected: () => [...rejected],
    duplicates: () => duplicateCount,
    requests: () => requestCount,
    requestLog: () => [...log],
    waitFor(predicate, timeoutMs = 5000) {
      const found = events.find(predicate)
      if (found) return Promise.resolve(found)
      return new Promise<SegmentEvent>((resolve, reject) => {
        const timer = setTimeout(() => {
          off()
          reject(new Error(`segment collector: no matching event within ${timeoutMs} ms (${events.length} events received)`))
        }, timeoutMs)
        const off = collector.subscribe((e) => {
          if (!predicate(e)) return
          clearTimeout(timer)
          off()
          resolve(e)
        })
      })
    },
    reset() {
      events = []
      rejected = []
      seen = new Set()
      duplicateCount = 0
      requestCount = 0
      log = []
      faults.clear()
      faults.setLatency(0)
    },
    setFault: (spec) => faults.set(spec),
    clearFault: () => faults.clear(),
    setLatency: (ms) => faults.setLatency(ms),
    subscribe(cb) {
      listeners.add(cb)
      return () => {
        listeners.delete(cb)
      }
    },
    on(_name, cb) {
      return collector.subscribe(cb)
    },
  }
  return collector
}
