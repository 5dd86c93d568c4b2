/** The emulator's HTTP server: routes to the client, server and inspection APIs; faults, latency, request log. */
import type http from 'node:http'
import {
  FaultInjector,
  closeServer,
  createServer,
  handleCors,
  listen,
  parseJson,
  readBody,
  requestOrigin,
  sendJson,
  type FaultSpec,
  type ListenOptions,
  type RunningServer,
} from '../http-util'
import { createClientApi } from './client-api'
import { createInspectApi } from './inspect-api'
import { ApiError, JSONAPI, invalid, queryObject } from './jsonapi'
import { createServerApi } from './server-api'
import { KLAVIYO_RATE_LIMITS } from './policy'
import { RateLimiter, type RateLimit } from '../rate-limiter'
import { KlaviyoStore } from './store'
import { DuplicateProfileError } from './types'

/** Which requests an injected fault applies to. */
export type FaultScope = 'server' | 'client' | 'all'

/** A fault for {@link KlaviyoEmulator.setFault}; `scope` defaults to `'server'`. */
export interface KlaviyoFaultSpec extends FaultSpec {
  scope?: FaultScope
}

/**
 * What a malformed answer looks like: a proxy's or CDN's HTML maintenance page answered 200 in front
 * of the API (`html`), or JSON that is not the JSON:API document the endpoint documents
 * (https://developers.klaviyo.com/en/docs/json_api_feature_guides): `data` a string
 * (`data_not_a_list`), a list of strings (`data_of_strings`), or `links.next` a number (`bad_next`).
 */
export type MalformedAnswer = 'html' | 'data_not_a_list' | 'data_of_strings' | 'bad_next'

/** A malformed-200 fault for {@link KlaviyoEmulator.setMalformed}. */
export interface KlaviyoMalformedSpec {
  answer: MalformedAnswer
  /** How many server-API requests answer it (default 1). */
  count?: number
  /** Only requests whose path starts with this, e.g. `/api/events` or `/api/profiles` (default any server-API path). */
  path?: string
}

/** An accepted client-API request, for tests to assert on. */
export interface KlaviyoClientRequest {
  method: string
  /** Path without the query string, e.g. `/client/profiles`. */
  path: string
  query: Record<string, string>
  /** Lower-cased header names. */
  headers: Record<string, string>
  /** Parsed JSON body. */
  body: unknown
  at: string
}

/** One request in the emulator's log (client or server API, any outcome). */
export interface KlaviyoRequestLogEntry {
  api: 'client' | 'server' | 'other'
  method: string
  path: string
  query: Record<string, string>
  status: number
  at: string
}

/** Options of {@link startKlaviyoEmulator}. */
export interface KlaviyoEmulatorOptions extends ListenOptions {
  /** Accepted public keys (`company_id`); undefined accepts any 6-character id. */
  companyIds?: string[]
  /** Accepted private keys (default `['pk_test']`); `pk_noscope` always gets 403. */
  privateKeys?: string[]
  /** Keys that hold only these scopes (e.g. `{ pk_events_only: ['events:read'] }`); others hold all. */
  keyScopes?: Record<string, string[]>
  /**
   * Per-endpoint rate limits of the server API. Default: Klaviyo's documented ones
   * (policy.ts); entries given here replace those endpoints'; `false` turns limits off.
   */
  rateLimits?: Record<string, RateLimit> | false
  /** Clock for the rate limiter (tests with fake time). Default Date.now. */
  now?: () => number
  /** Topics GET /api/webhook-topics lists (default: Klaviyo's email topics). */
  webhookTopics?: string[]
  /** Use this store instead of a new one (e.g. shared with a demo). */
  store?: KlaviyoStore
  /** Max request body (default 5 MB, Klaviyo's event payload limit). */
  maxBodyBytes?: number
  /** How injected latency is waited (default: a timer); tests pass their own to observe it. */
  wait?: (ms: number) => Promise<void>
}

/** A running emulator (see {@link startKlaviyoEmulator}). */
export interface KlaviyoEmulator extends RunningServer {
  /** The account state it serves. */
  readonly store: KlaviyoStore
  /** Accepted client-API requests, oldest first. */
  requests(): KlaviyoClientRequest[]
  /** Every request with its status (client, server and inspection APIs). */
  requestLog(): KlaviyoRequestLogEntry[]
  /** Server-API requests only (e.g. to count pages the relay fetched). */
  serverRequests(): KlaviyoRequestLogEntry[]
  /** Fail the next `count` requests of `scope` (default server) with `status`. */
  setFault(spec: KlaviyoFaultSpec): void
  /** Answer the next `count` server-API requests (of `path`) with 200 and a body that is not a JSON:API document. */
  setMalformed(spec: KlaviyoMalformedSpec): void
  /** Cancel a pending fault (and a pending malformed answer). */
  clearFault(): void
  /** Delay every client and server API response by `ms`. */
  setLatency(ms: number): void
  /** Clear the store, logs, faults and latency. */
  reset(): void
}

/** Start the emulator; see the module comment. */
export async function startKlaviyoEmulator(opts: KlaviyoEmulatorOptions = {}): Promise<KlaviyoEmulator> {
  const companyIds = opts.companyIds ? new Set(opts.companyIds) : null
  const privateKeys = new Set(opts.privateKeys ?? ['pk_test'])
  const store = opts.store ?? new KlaviyoStore({ accountId: opts.companyIds?.[0] })
  const maxBody = opts.maxBodyBytes ?? 5 * 1024 * 1024
  const faults = new FaultInjector(opts.wait)
  let faultScope: FaultScope = 'server'
  let malformed: { answer: MalformedAnswer; remaining: number; path?: string } | null = null
  let accepted: KlaviyoClientRequest[] = []
  let log: KlaviyoRequestLogEntry[] = []
  let fallbackOrigin = ''

  const sendError = (res: http.ServerResponse, err: ApiError, headers: Record<string, string> = {}) => sendJson(res, err.status, err.body(), headers, JSONAPI)

  async function injectFault(res: http.ServerResponse, api: 'client' | 'server'): Promise<boolean> {
    await faults.delay()
    if (faultScope !== 'all' && faultScope !== api) return false
    const f = faults.take()
    if (!f) return false
    const retry: Record<string, string> = f.retryAfter !== undefined ? { 'Retry-After': String(Math.ceil(f.retryAfter)) } : {}
    const err =
      f.status === 429
        ? new ApiError(429, 'throttled', 'Request was throttled.', `Request was throttled. Expected available in ${f.retryAfter ?? 1} second${f.retryAfter === 1 ? '' : 's'}.`)
        : new ApiError(f.status, 'error', 'A server error occurred.', 'Injected fault.')
    sendError(res, err, retry)
    return true
  }

  async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
    const body = await readBody(req, maxBody)
    if (!body.ok) {
      if (body.reason === 'too_large') throw new ApiError(413, 'request_too_large', 'Request entity too large.', `The request body exceeds ${maxBody} bytes.`)
      throw invalid('The request body could not be read.')
    }
    const parsed = parseJson(body.body)
    if (!parsed.ok) throw new ApiError(400, 'parse_error', 'Malformed request.', `JSON parse error: ${parsed.error}`)
    return parsed.value
  }

  const ctx = { store, readJsonBody, injectFault }
  const handleClient = createClientApi({ ...ctx, companyIds, recordAccepted: (r) => accepted.push(r) })
  const rateLimiter = opts.rateLimits === false ? undefined : new RateLimiter({ limits: { ...KLAVIYO_RATE_LIMITS, ...opts.rateLimits }, now: opts.now })
  const handleServer = createServerApi({ ...ctx, privateKeys, keyScopes: opts.keyScopes, rateLimiter, webhookTopics: opts.webhookTopics })
  const handleInspect = createInspectApi({ ...ctx, requests: () => accepted, reset: () => emulator.reset() })

  // ---- dispatch ------------------------------------------------------------------------------

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = handleCors(req, res)
    if (!method) return
    const u = new URL(req.url ?? '/', 'http://klaviyo.invalid')
    const base = requestOrigin(req, fallbackOrigin)
    const clientMatch = /^\/client\/(profiles|subscriptions|events)\/?$/.exec(u.pathname)
    const api: KlaviyoRequestLogEntry['api'] = clientMatch ? 'client' : u.pathname.startsWith('/api/') ? 'server' : 'other'
    const entry: KlaviyoRequestLogEntry = { api, method, path: u.pathname, query: queryObject(u), status: 0, at: new Date().toISOString() }
    log.push(entry)
    try {
      if (clientMatch) {
        if (method !== 'POST') throw Object.assign(new ApiError(405, 'method_not_allowed', 'Method not allowed.', `Method "${method}" not allowed.`), { allow: 'POST, OPTIONS' })
        entry.status = await handleClient(req, res, u, clientMatch[1] as 'profiles' | 'subscriptions' | 'events')
      } else if (api === 'server' && malformed && malformed.remaining > 0 && (!malformed.path || u.pathname.startsWith(malformed.path))) {
        req.resume()
        await faults.delay()
        const answer = malformed.answer
        if (--malformed.remaining <= 0) malformed = null
        entry.status = sendMalformed(res, answer)
      } else if (api === 'server') {
        entry.status = await handleServer(req, res, u, base)
      } else if (u.pathname.startsWith('/_/')) {
        entry.status = await handleInspect(req, res, u)
      } else if (u.pathname === '/' && (method === 'GET' || method === 'HEAD')) {
        sendJson(res, 200, { ok: true, service: 'mailstitch klaviyo emulator' })
        entry.status = 200
      } else {
        throw new ApiError(404, 'not_found', 'Not found.', `No endpoint ${method} ${u.pathname} in the emulator.`)
      }
    } catch (err) {
      req.resume()
      if (err instanceof ApiError) {
        const extra = err as ApiError & { allow?: string; headers?: Record<string, string> }
        sendError(res, err, { ...extra.headers, ...(extra.allow ? { Allow: extra.allow } : {}) })
        entry.status = err.status
      } else if (err instanceof DuplicateProfileError) {
        const e = new ApiError(409, 'duplicate_profile', 'Conflict.', err.message, { pointer: `/data/attributes/${err.field}` }, { duplicate_profile_id: err.duplicateProfileId })
        sendError(res, e)
        entry.status = 409
      } else {
        throw err
      }
    }
  }

  const server = createServer(handle, (res, err) => sendJson(res, 500, new ApiError(500, 'error', 'A server error occurred.', err instanceof Error ? err.message : 'internal error').body(), {}, JSONAPI))
  const where = await listen(server, opts)
  fallbackOrigin = where.url

  const emulator: KlaviyoEmulator = {
    url: where.url,
    port: where.port,
    store,
    close: () => closeServer(server),
    requests: () => [...accepted],
    requestLog: () => [...log],
    serverRequests: () => log.filter((e) => e.api === 'server'),
    setFault(spec) {
      faultScope = spec.scope ?? 'server'
      faults.set(spec)
    },
    setMalformed(spec) {
      const count = spec.count ?? 1
      malformed = count > 0 ? { answer: spec.answer, remaining: count, path: spec.path } : null
    },
    clearFault() {
      faults.clear()
      malformed = null
    },
    setLatency: (ms) => faults.setLatency(ms),
    reset() {
      store.reset()
      accepted = []
      log = []
      faults.clear()
      malformed = null
      faults.setLatency(0)
      rateLimiter?.reset()
    },
  }
  return emulator
}

/** Send a malformed 200 (see {@link MalformedAnswer}); resolves to the status sent. */
function sendMalformed(res: http.ServerResponse, answer: MalformedAnswer): number {
  if (answer === 'html') {
    const page = '<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body><h1>We will be back shortly.</h1></body></html>'
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(page)) })
    res.end(page)
    return 200
  }
  const body = answer === 'data_not_a_list' ? { data: 'nope' } : answer === 'data_of_strings' ? { data: ['nope'], links: { next: null } } : { data: [], links: { self: 'x', next: 42 } }
  sendJson(res, 200, body, {}, JSONAPI)
  return 200
}
