import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { readFileSync, statSync } from 'node:fs'
import { resolve, normalize, extname } from 'node:path'
import type { AddressInfo } from 'node:net'

const ROOT = resolve(import.meta.dirname, '../..')
const TYPES: Record<string, string> = { '.js': 'application/javascript', '.mjs': 'application/javascript', '.map': 'application/json', '.html': 'text/html; charset=utf-8', '.css': 'text/css' }

/**
 * A built file from dist/, kept in memory while it is unchanged: the site answers the script tag
 * from memory as a CDN edge would, like the routed Segment CDN answers analytics.js. (Read from
 * disk per request, a loaded 2-core machine delayed the tag by 300 ms behind analytics.js, a
 * race between two CDNs that the tests are not about.)
 */
const built = new Map<string, { mtimeMs: number; data: Buffer }>()
function builtFile(file: string): Buffer {
  const mtimeMs = statSync(file).mtimeMs
  const cached = built.get(file)
  if (cached && cached.mtimeMs === mtimeMs) return cached.data
  const data = readFileSync(file)
  built.set(file, { mtimeMs, data })
  return data
}

/** A page: static HTML, or built per request (it sees the request URL). */
export type Page = string | ((url: URL) => string)

/** What a {@link Site.route} handler sees. */
export interface RouteRequest {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  /** The raw request body (empty for GET). */
  body: Buffer
}

/** What a {@link Site.route} handler answers; an object `body` is sent as JSON. */
export interface RouteResponse {
  status?: number
  headers?: Record<string, string | string[]>
  body?: string | Buffer | object
}

/** A dynamic endpoint (emulated store APIs, redirects, cookies). */
export type RouteHandler = (req: RouteRequest) => RouteResponse | Promise<RouteResponse>

/** A storefront test site on 127.0.0.1: pages, the built SDK under /dist, a Shopify-style /contact. */
export interface Site {
  url: string
  port: number
  /** Add or replace a page at a path. */
  page(path: string, html: Page): void
  /** Serve a JS body at a path (e.g. an esbuild bundle). */
  script(path: string, js: string): void
  /**
   * Add or replace a dynamic route. `method` is an HTTP method or `*`; `path` is exact, or a
   * prefix when it ends with `*`. Routes are matched before everything else (also /contact).
   */
  route(method: string, path: string, handler: RouteHandler): void
  /** Bodies posted to /contact, in order (what Shopify would have received). */
  posts: URLSearchParams[]
  close(): Promise<void>
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Start the site; `host` only changes the URL it reports (the server listens on all loopback names). */
export async function startSite(host = '127.0.0.1'): Promise<Site> {
  const pages = new Map<string, Page>()
  const scripts = new Map<string, string>()
  const posts: URLSearchParams[] = []
  const routes = new Map<string, RouteHandler>()
  const findRoute = (method: string, path: string): RouteHandler | undefined => {
    for (const m of [method, '*']) {
      const exact = routes.get(m + ' ' + path)
      if (exact) return exact
    }
    let best: [number, RouteHandler] | undefined
    for (const [key, h] of routes) {
      const [m, p] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)]
      if ((m === method || m === '*') && p.endsWith('*') && path.startsWith(p.slice(0, -1)) && (!best || p.length > best[0])) best = [p.length, h]
    }
    return best?.[1]
  }
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url || '/', `http://${req.headers.host}`)
    const route = findRoute(req.method || 'GET', url.pathname)
    if (route) {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const out = await route({ method: req.method || 'GET', url, headers: req.headers, body: Buffer.concat(chunks) })
      const json = out.body !== undefined && typeof out.body === 'object' && !Buffer.isBuffer(out.body)
      const headers = { 'cache-control': 'no-store', ...(json ? { 'content-type': 'application/json' } : {}), ...out.headers }
      res.writeHead(out.status ?? 200, headers).end(json ? JSON.stringify(out.body) : (out.body as string | Buffer | undefined))
      return
    }
    if (req.method === 'POST' && url.pathname === '/contact') {
      // Shopify's customer form: a full-page POST answered with a redirect back to the page.
      posts.push(new URLSearchParams(await body(req)))
      const back = req.headers.referer ? new URL(req.headers.referer) : new URL('/', url)
      res.writeHead(302, { location: back.pathname + '?customer_posted=true' }).end()
      return
    }
    if (url.pathname.startsWith('/dist/')) {
      const file = normalize(resolve(ROOT, '.' + url.pathname))
      if (!file.startsWith(resolve(ROOT, 'dist'))) return res.writeHead(403).end()
      try {
        const data = builtFile(file)
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(data)
      } catch {
        res.writeHead(404).end()
      }
      return
    }
    const js = scripts.get(url.pathname)
    if (js !== undefined) return res.writeHead(200, { 'content-type': TYPES['.js']! }).end(js)
    const p = pages.get(url.pathname)
    if (p === undefined) return res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
    res.writeHead(200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store' }).end(typeof p === 'string' ? p : p(url))
  }
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => { if (!res.headersSent) res.writeHead(500).end() })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://${host}:${port}`,
    port,
    page: (path, html) => void pages.set(path, html),
    script: (path, js) => void scripts.set(path, js),
    route: (method, path, handler) => void routes.set(method.toUpperCase() + ' ' + path, handler),
    posts,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}
