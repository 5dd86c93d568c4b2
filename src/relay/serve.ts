/**
 * `mailstitch relay serve`: a thin node:http adapter around the Web-API webhook core
 * (src/webhook): each request becomes a fetch `Request`, the core answers with a `Response`, and
 * that is written back. The same core runs on Cloudflare Workers and AWS Lambda.
 * Bodies are read under a cap here too; past it the rest is drained (not reset) so the sender
 * actually sees the 413, up to a hard limit where the socket is cut.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FetchHandler } from '../webhook/dispatch'
import { DEFAULT_MAX_BODY_BYTES } from '../webhook/http'

/** Default port of `relay serve`. */
export const DEFAULT_PORT = 8787

/** Beyond this many bytes we stop draining an oversized body and drop the connection. */
const DRAIN_LIMIT = 64 * 1024 * 1024

/** Options of {@link startWebhookServer}. */
export interface ServeOptions {
  /** The fetch-style webhook app (see `createWebhookApp`). */
  handler: FetchHandler
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
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' })
      else res.destroy()
    })
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
  })
  server.keepAliveTimeout = 5_000

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    let body: Buffer | undefined
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const read = await readCapped(req, maxBody)
      if (read === 'too_large') return sendJson(res, 413, { ok: false, error: `body larger than ${maxBody} bytes` }, { Connection: 'close' })
      if (read === 'aborted') return
      body = read
    } else {
      req.resume()
    }
    const response = await options.handler(toRequest(req, method, body))
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => (headers[name] = value))
    const out = Buffer.from(await response.arrayBuffer())
    if (res.writableEnded || res.destroyed) return
    res.writeHead(response.status, { ...headers, 'content-length': String(out.length) })
    res.end(out)
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

/** node:http request → fetch Request (the body is the exact bytes received). */
function toRequest(req: http.IncomingMessage, method: string, body: Buffer | undefined): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`)
  return new Request(url, { method, headers, body: body ? new Uint8Array(body) : undefined })
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

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}
