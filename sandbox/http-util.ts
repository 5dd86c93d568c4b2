/**
 * Small `node:http` helpers shared by the sandbox emulators (Segment collector, Klaviyo
 * emulator): listening on an ephemeral port, bounded body reading, CORS, JSON replies and
 * fault injection. No framework: the emulators must stay dependency-free and predictable.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { isRecord, parseJson as parseJsonText, type JsonParseResult } from '../src/shared/json'

export { isRecord }

/** Where and how an emulator listens. */
export interface ListenOptions {
  /** TCP port; 0 (the default) picks a free ephemeral port. */
  port?: number
  /** Interface to bind; defaults to 127.0.0.1 so nothing is exposed beyond the machine. */
  host?: string
}

/** What every started emulator exposes. */
export interface RunningServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:54321`. */
  readonly url: string
  /** The port actually bound (useful when 0 was asked for). */
  readonly port: number
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>
}

/** A fault to inject into the next `count` requests of a kind. */
export interface FaultSpec {
  /** HTTP status to answer with instead of the real handler (400: a request refused whole, as Segment refuses an oversize one). */
  status: 400 | 429 | 500 | 502 | 503 | 504
  /** How many requests fail before normal service resumes (default 1). */
  count?: number
  /** Seconds to put in a `Retry-After` header (integer, as both Segment and Klaviyo send). */
  retryAfter?: number
}

/** Result of reading a request body under a size cap. */
export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' }

/** Bodies larger than this are not even drained: the socket is dropped instead. */
const DRAIN_LIMIT = 128 * 1024 * 1024

/**
 * Read a request body, keeping at most `limit` bytes.
 * Past the cap the rest is read and discarded rather than the socket being reset, because a
 * client that is still uploading (undici, browsers) reports a reset as a network error and never
 * sees the 413 we want it to see.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    let settled = false
    const done = (r: BodyResult) => {
      if (settled) return
      settled = true
      resolve(r)
    }
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > DRAIN_LIMIT) {
      req.destroy()
      done({ ok: false, reason: 'too_large' })
      return
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > DRAIN_LIMIT) {
        req.destroy()
        done({ ok: false, reason: 'too_large' })
        return
      }
      if (size > limit) tooLarge = true
      if (!tooLarge) chunks.push(chunk)
    })
    req.on('end', () => done(tooLarge ? { ok: false, reason: 'too_large' } : { ok: true, body: Buffer.concat(chunks) }))
    req.on('error', () => done({ ok: false, reason: 'aborted' }))
    req.on('close', () => done(tooLarge ? { ok: false, reason: 'too_large' } : { ok: false, reason: 'aborted' }))
  })
}

/** JSON.parse of a body or string that reports failure instead of throwing. */
export function parseJson(buf: Buffer | string): JsonParseResult {
  return parseJsonText(typeof buf === 'string' ? buf : buf.toString('utf8'))
}

/** decodeURIComponent that returns undefined for malformed escapes instead of throwing. */
export function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}

const DEFAULT_ALLOWED_HEADERS =
  'content-type, authorization, revision, accept, x-retry-count, x-requested-with, klaviyo-webhook-id, klaviyo-signature, klaviyo-timestamp'

/**
 * Add permissive CORS headers. Pages on 127.0.0.1/localhost call the emulators cross-origin
 * (often with credentials or keepalive), so the Origin is reflected rather than `*`, which
 * browsers refuse together with credentials.
 */
export function applyCors(req: http.IncomingMessage, res: http.ServerResponse): void {
  const origin = req.headers.origin
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin)
    res.setHeader('Access-Control-Allow-Credentials', 'true')
    res.setHeader('Vary', 'Origin')
  } else {
    res.setHeader('Access-Control-Allow-Origin', '*')
  }
  res.setHeader('Access-Control-Expose-Headers', 'retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset')
}

/** Answer a CORS preflight with 204, allowing whatever headers the browser asked for. */
export function answerPreflight(req: http.IncomingMessage, res: http.ServerResponse): void {
  applyCors(req, res)
  const asked = req.headers['access-control-request-headers']
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS')
  res.setHeader('Access-Control-Allow-Headers', asked ? `${asked}, ${DEFAULT_ALLOWED_HEADERS}` : DEFAULT_ALLOWED_HEADERS)
  res.setHeader('Access-Control-Max-Age', '600')
  // Chrome's Private Network Access asks this when a public page calls a loopback address.
  if (req.headers['access-control-request-private-network']) res.setHeader('Access-Control-Allow-Private-Network', 'true')
  res.statusCode = 204
  res.end()
}

/**
 * CORS for every request of an emulator: the headers, and the answer to a preflight. Returns the
 * upper-cased method, or undefined when the request was a preflight (already answered).
 */
export function handleCors(req: http.IncomingMessage, res: http.ServerResponse): string | undefined {
  applyCors(req, res)
  const method = (req.method ?? 'GET').toUpperCase()
  if (method !== 'OPTIONS') return method
  answerPreflight(req, res)
  return undefined
}

/** Send a JSON body (status, payload, extra headers); a no-op once the response has ended. */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  if (res.writableEnded || res.destroyed) return
  const body = JSON.stringify(payload)
  res.statusCode = status
  res.setHeader('Content-Type', contentType)
  res.setHeader('Content-Length', Buffer.byteLength(body))
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  res.end(body)
}

/** Send a body with no content (e.g. 202 from Klaviyo's client API). */
export function sendEmpty(res: http.ServerResponse, status: number, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return
  res.statusCode = status
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  res.setHeader('Content-Length', '0')
  res.end()
}

/** Resolve after `ms` milliseconds (0 resolves on the next tick). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/**
 * Keeps the fault/latency knobs of one emulator. `take()` consumes one injected failure, so
 * "the next n requests fail" holds no matter how requests interleave.
 */
export class FaultInjector {
  private fault: { status: number; remaining: number; retryAfter?: number } | null = null
  private latencyMs = 0

  /** `wait` is how the latency is waited: a timer by default; tests pass their own to observe it. */
  constructor(private readonly wait: (ms: number) => Promise<void> = sleep) {}

  /** Wait out the added latency, if any. */
  async delay(): Promise<void> {
    if (this.latencyMs) await this.wait(this.latencyMs)
  }

  /** Make the next `count` (default 1) requests answer `status`. */
  set(spec: FaultSpec): void {
    const count = spec.count ?? 1
    this.fault = count > 0 ? { status: spec.status, remaining: count, retryAfter: spec.retryAfter } : null
  }

  /** Cancel any pending fault. */
  clear(): void {
    this.fault = null
  }

  /** Delay every affected response by `ms` (0 disables). */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms)
  }

  /** Current added latency in ms. */
  get latency(): number {
    return this.latencyMs
  }

  /** Failures still to be injected. */
  get pending(): number {
    return this.fault?.remaining ?? 0
  }

  /** Consume one failure if one is pending. */
  take(): { status: number; retryAfter?: number } | null {
    const f = this.fault
    if (!f || f.remaining <= 0) return null
    f.remaining -= 1
    if (f.remaining <= 0) this.fault = null
    return { status: f.status, retryAfter: f.retryAfter }
  }
}

/** Start `server` on host/port and describe where it listens. */
export function listen(server: http.Server, opts: ListenOptions = {}): Promise<{ url: string; port: number; host: string }> {
  const host = opts.host ?? '127.0.0.1'
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError)
      const addr = server.address() as AddressInfo
      const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host
      resolve({ url: `http://${shownHost}:${addr.port}`, port: addr.port, host })
    })
  })
}

/** Close a server without waiting for idle keep-alive sockets to time out. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve()
      return
    }
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/**
 * Create an http.Server whose handler errors become a 500 JSON reply instead of an
 * unhandled rejection: an emulator must never take the test process down.
 */
export function createServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  onError: (res: http.ServerResponse, err: unknown) => void,
): http.Server {
  const server = http.createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      try {
        onError(res, err)
      } catch {
        res.destroy()
      }
    })
  })
  // Malformed HTTP (bad request lines, oversized headers) must not surface as an 'error' event.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  })
  // Browsers and undici keep sockets alive; keep the default timeouts from hanging close().
  server.keepAliveTimeout = 5_000
  return server
}

/** The `scheme://host[:port]` a client used to reach us, from the Host header. */
export function requestOrigin(req: http.IncomingMessage, fallback: string): string {
  const host = req.headers.host
  if (!host || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) return fallback
  return `http://${host}`
}

/** The Host header (host:port) a client used, falling back to the bound address. */
export function requestHost(req: http.IncomingMessage, fallback: string): string {
  const host = req.headers.host
  if (!host || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) return fallback
  return host
}
