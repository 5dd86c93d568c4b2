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
  /** Cancel a pending fault. */
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
    clearFault: () => faults.clear(),
    setLatency: (ms) => faults.setLatency(ms),
    reset() {
      store.reset()
      accepted = []
      log = []
      faults.clear()
      faults.setLatency(0)
      rateLimiter?.reset()
    },
  }
  return emulator
}
