import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { resolve, normalize, extname } from 'node:path'
import type { AddressInfo } from 'node:net'

const ROOT = resolve(import.meta.dirname, '../..')
const TYPES: Record<string, string> = { '.js': 'application/javascript', '.mjs': 'application/javascript', '.map': 'application/json', '.html': 'text/html; charset=utf-8', '.css': 'text/css' }

/** A page: static HTML, or built per request (it sees the request URL). */
export type Page = string | ((url: URL) => string)

/** A storefront test site on 127.0.0.1: pages, the built SDK under /dist, a Shopify-style /contact. */
export interface Site {
  url: string
  port: number
  /** Add or replace a page at a path. */
  page(path: string, html: Page): void
  /** Serve a JS body at a path (e.g. an esbuild bundle). */
  script(path: string, js: string): void
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
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url || '/', `http://${req.headers.host}`)
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
        const data = await readFile(file)
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
    posts,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}
