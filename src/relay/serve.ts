/**
 * `mailstitch relay serve`: a thin node:http adapter around the Web-API webhook core
 * (src/webhook): each request becomes a fetch `Request`, the core answers with a `Response`, and
 * that is written back. The same core runs on Cloudflare Workers and AWS Lambda.
 *
 * Hostile connections are the adapter's job, because only it sees sockets:
 * - Time-outs fit for webhooks (small bodies, sent at once): headers within 10 s (Node's
 *   `headersTimeout`, checked every second), then the body within 20 s (our own deadline, answered
 *   408), with Node's `requestTimeout` as a backstop just past the two.
 * - A connection cap below the process's file limit. When it is reached, the oldest connection
 *   that is not being answered (idle, or still sending its request) is closed to make room, so
 *   slow clients evict each other and never starve `/healthz` or a signed webhook; when every
 *   connection is being answered, the newcomer gets 503 with Retry-After.
 * - Malformed requests (a bad Host, TRACE, a broken Content-Length) get a 4xx, never a 500, and
 *   are logged in one bounded line; every 503 carries Retry-After.
 * Bodies are read under a cap; past it the rest is drained (not reset) so the sender actually
 * sees the 413, up to a hard limit where the socket is cut.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { FetchHandler } from '../webhook/dispatch'
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_RETRY_AFTER_SECONDS } from '../webhook/http'
import { logLine } from '../shared/log-line'

/** Default port of `relay serve`. */
export const DEFAULT_PORT = 8787

/** Default time allowed to receive a request's headers, ms: webhook senders send them at once. */
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000
/** Default time allowed to receive a body once the headers are in, ms: 4 MiB at about 2 Mbit/s. */
const DEFAULT_BODY_TIMEOUT_MS = 20_000
/** Default cap on open connections: far below common file limits (256 on some hosts). */
const DEFAULT_MAX_CONNECTIONS = 128

/** Beyond this many bytes we stop draining an oversized body and drop the connection. */
const DRAIN_LIMIT = 64 * 1024 * 1024

/** Methods handed to the webhook core; anything else (TRACE, CONNECT, …) is answered 405 here. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** Options of {@link startWebhookServer}. */
export interface ServeOptions {
  /** The fetch-style webhook app (see `createWebhookApp`). */
  handler: FetchHandler
  port?: number
  host?: string
  maxBodyBytes?: number
  /** Time allowed to receive a request's headers, ms (default 10 s). */
  headersTimeoutMs?: number
  /** Time allowed to receive a body once the headers are in, ms (default 20 s); past it, 408. */
  bodyTimeoutMs?: number
  /** Open connections at most (default 128); see the module comment for what happens past it. */
  maxConnections?: number
  /** Told about refused connections and requests, one bounded line each. */
  log?: (line: string) => void
}

/** A running webhook server. */
export interface WebhookServer {
  url: string
  port: number
  /** Stop accepting connections and wait for requests in flight to be answered. */
  close(): Promise<void>
}

/** What the cap knows of one connection. */
interface Connection {
  socket: Socket
  /** Requests of this connection being answered (body read, handler running). */
  answering: number
}

/** Start the webhook HTTP server. */
export async function startWebhookServer(options: ServeOptions): Promise<WebhookServer> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS
  const bodyTimeout = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS
  // Node's own whole-request limit only backs ours up (it closes without an answer once a request
  // reached the handler), so it sits just past headers + body.
  const requestTimeout = headersTimeout + bodyTimeout + 1_000
  const maxConnections = Math.max(1, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS)
  const log = (line: string) => options.log?.(logLine(line))
  const inFlight = new Set<Promise<void>>()
  // Insertion order is connection age: the first entry is the oldest.
  const connections = new Map<Socket, Connection>()
  const refused = new WeakSet<Socket>()

  const server = http.createServer({ headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1_000, headersTimeout) }, (req, res) => {
    if (refused.has(req.socket)) {
      res.destroy()
      return
    }
    const conn = connections.get(req.socket)
    const p = handle(req, res, conn).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' })
      else res.destroy()
    })
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
  })
  server.keepAliveTimeout = 5_000

  server.on('connection', (socket: Socket) => {
    if (connections.size >= maxConnections) {
      const victim = [...connections.values()].find((c) => c.answering === 0)
      if (victim) {
        connections.delete(victim.socket)
        victim.socket.destroy()
        log(`relay serve: ${maxConnections} connections open; closed the oldest one not being answered (from ${victim.socket.remoteAddress ?? '?'}) to make room`)
      } else {
        refused.add(socket)
        log(`relay serve: ${maxConnections} connections open and all being answered; refused one from ${socket.remoteAddress ?? '?'} with 503`)
        socket.end(rawResponse(503, { ok: false, error: 'too_many_connections' }, { 'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS) }))
        return
      }
    }
    connections.set(socket, { socket, answering: 0 })
    socket.once('close', () => connections.delete(socket))
  })

  // Requests Node's parser refuses (bad Content-Length, a header over 16 KB, a time-out) never reach
  // the handler; answer them as Node would, and log one bounded line without the request's text.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const code = err.code ?? 'unknown'
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
    const error = status === 408 ? 'request_timeout' : status === 431 ? 'headers_too_large' : 'bad_request'
    // A request already handed to the handler (its body broke, e.g. a bad chunk size) is answered
    // through its own response, if nothing was written yet; otherwise the socket is free to write.
    const pending = (socket as { _httpMessage?: unknown })._httpMessage
    if (pending instanceof http.ServerResponse && pending.headersSent) {
      socket.destroy()
      return
    }
    log(`relay serve: refused a request from ${socket.remoteAddress ?? '?'} with ${status} (${code})`)
    if (pending instanceof http.ServerResponse) {
      sendJson(pending, status, { ok: false, error }, { Connection: 'close' })
      pending.once('finish', () => {
        pending.req.destroy() // ends the handler's body read, which would otherwise wait for its deadline
        socket.destroy()
      })
      return
    }
    socket.end(rawResponse(status, { ok: false, error }))
  })

  // CONNECT never reaches the request listener; without this Node would drop the socket unanswered.
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    log(`relay serve: refused CONNECT from ${socket.remoteAddress ?? '?'} with 405`)
    socket.end(rawResponse(405, { ok: false, error: 'method_not_allowed' }, { allow: 'GET, HEAD, POST' }))
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, conn: Connection | undefined): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const refuse = (status: number, error: string, headers: Record<string, string> = {}) => {
      log(`relay serve: refused ${method.slice(0, 16)} ${(req.url ?? '').slice(0, 200)} from ${req.socket.remoteAddress ?? '?'} with ${status} (${error})`)
      req.resume()
      // A client that sends malformed requests gets no second one on this connection.
      sendJson(res, status, { ok: false, error }, { ...headers, Connection: 'close' })
    }
    if (!METHODS.has(method)) return refuse(405, 'method_not_allowed', { allow: 'GET, HEAD, POST' })
    const url = requestUrl(req)
    if (!url) return refuse(400, 'bad_request_target')

    let body: Buffer | undefined
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const read = await readCapped(req, maxBody, bodyTimeout)
      if (read === 'too_large') return sendJson(res, 413, { ok: false, error: `body larger than ${maxBody} bytes` }, { Connection: 'close' })
      if (read === 'timed_out') {
        log(`relay serve: refused ${method} ${url.pathname.slice(0, 200)} from ${req.socket.remoteAddress ?? '?'} with 408 (body not received within ${bodyTimeout} ms)`)
        sendJson(res, 408, { ok: false, error: 'request_timeout' }, { Connection: 'close' })
        res.once('finish', () => req.socket.destroy())
        return
      }
      if (read === 'aborted') return
      body = read
    } else {
      req.resume()
    }
    let request: Request
    try {
      request = toRequest(req, method, url, body)
    } catch {
      return refuse(400, 'bad_request') // a header value fetch's Headers refuses
    }
    if (conn) conn.answering++
    try {
      const response = await options.handler(request)
      const headers: Record<string, string> = {}
      response.headers.forEach((value, name) => (headers[name] = value))
      if (response.status === 503 && !headers['retry-after']) headers['retry-after'] = String(DEFAULT_RETRY_AFTER_SECONDS)
      const out = Buffer.from(await response.arrayBuffer())
      if (res.writableEnded || res.destroyed) return
      res.writeHead(response.status, { ...headers, 'content-length': String(out.length) })
      res.end(out)
    } finally {
      if (conn) conn.answering--
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? '0.0.0.0', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const shown = !options.host || options.host === '0.0.0.0' ? '127.0.0.1' : options.host
  return {
    url: `http://${shown}:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        // Connections still sending a request are not worth waiting for (they may be slow on purpose).
        for (const c of connections.values()) if (c.answering === 0) c.socket.destroy()
      })
      await Promise.allSettled([...inFlight])
    },
  }
}

/**
 * The request's URL, or undefined for a request target or Host that is not valid: RFC 9112 §3.2
 * asks for a 400 when the Host field value is invalid. Routing uses only the path.
 */
function requestUrl(req: http.IncomingMessage): URL | undefined {
  const host = req.headers.host ?? 'localhost'
  try {
    const url = new URL(req.url ?? '/', `http://${host}`)
    // `new URL` accepts some hosts by percent-encoding or dropping what follows; a Host value must be
    // exactly a host[:port].
    if (!/^[A-Za-z0-9._~!$&'()*+,;=%-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) return undefined
    return url
  } catch {
    return undefined
  }
}

/** node:http request → fetch Request (the body is the exact bytes received). */
function toRequest(req: http.IncomingMessage, method: string, url: URL, body: Buffer | undefined): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  return new Request(url, { method, headers, body: body ? new Uint8Array(body) : undefined })
}

function readCapped(req: http.IncomingMessage, limit: number, deadlineMs: number): Promise<Buffer | 'too_large' | 'aborted' | 'timed_out'> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'])
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = Number.isFinite(declared) && declared > limit
    let done = false
    const timer = setTimeout(() => finish('timed_out'), deadlineMs)
    const finish = (v: Buffer | 'too_large' | 'aborted' | 'timed_out') => {
      clearTimeout(timer)
      if (!done) {
        done = true
        resolve(v)
      }
    }
    if (tooLarge && declared > DRAIN_LIMIT) {
      finish('too_large')
      req.destroy()
      return
    }
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) tooLarge = true
      if (size > DRAIN_LIMIT) {
        finish('too_large')
        req.destroy()
        return
      }
      if (!tooLarge) chunks.push(c)
    })
    req.on('end', () => finish(tooLarge ? 'too_large' : Buffer.concat(chunks)))
    req.on('error', () => finish('aborted'))
    req.on('close', () => finish(tooLarge ? 'too_large' : 'aborted'))
  })
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}

/** A whole HTTP/1.1 answer written straight to a socket that has no parsed request to answer. */
function rawResponse(status: number, body: unknown, headers: Record<string, string> = {}): string {
  const text = JSON.stringify(body)
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(text)}`, 'connection: close']
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  return `${lines.join('\r\n')}\r\n\r\n${text}`
}
