/**
 * `mailstitch relay serve`: a node:http server around the webhook handler.
 * POST (any path) → webhook; GET /healthz → 200. Bodies are read under a cap; past it the rest is
 * drained (not reset) so the sender actually sees the 413, up to a hard limit where the socket is cut.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { WebhookHandler } from './webhook'
import { DEFAULT_MAX_BODY_BYTES } from './webhook'

/** Default port of `relay serve`. */
export const DEFAULT_PORT = 8787

/** Beyond this many bytes we stop draining an oversized body and drop the connection. */
const DRAIN_LIMIT = 64 * 1024 * 1024

/** Options of {@link startWebhookServer}. */
export interface ServeOptions {
  handler: WebhookHandler
  port?: number
  host?: string
  maxBodyBytes?: number
}

/** A running webhook server. */
export interface WebhookServer {
  url: string
  port: number
  /** Stop accepting connections and wait for requests in flight to be answered. */
  close(): Promise<void>
}

/** Start the webhook HTTP server. */
export async function startWebhookServer(options: ServeOptions): Promise<WebhookServer> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const inFlight = new Set<Promise<void>>()
  const server = http.createServer((req, res) => {
    const p = handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { ok: false, error: 'internal_error' })
      else res.destroy()
    })
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
  })
  server.keepAliveTimeout = 5_000

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && (path === '/healthz' || path === '/')) return send(res, 200, { ok: true })
    if (req.method !== 'POST') {
      req.resume()
      return send(res, 405, { ok: false, error: 'method_not_allowed' }, { Allow: 'POST' })
    }
    const body = await readCapped(req, maxBody)
    if (body === 'too_large') return send(res, 413, { ok: false, error: `body larger than ${maxBody} bytes` }, { Connection: 'close' })
    if (body === 'aborted') return
    const out = await options.handler(body, req.headers)
    send(res, out.status, out.body, out.headers)
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
      })
      await Promise.allSettled([...inFlight])
    },
  }
}

function readCapped(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'])
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = Number.isFinite(declared) && declared > limit
    let done = false
    const finish = (v: Buffer | 'too_large' | 'aborted') => {
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

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}
