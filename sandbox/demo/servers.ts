/** The demo's own HTTP servers (store and console): Host checks, listen/close, client bundles. */
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const HERE = path.dirname(fileURLToPath(import.meta.url))

/** The three browser clients the demo bundles. */
export type ClientName = 'store' | 'inbox' | 'journey'

/** Bundle the demo's browser clients with esbuild. */
export async function bundleClients(): Promise<Record<ClientName, string>> {
  const names: ClientName[] = ['store', 'inbox', 'journey']
  const out = await Promise.all(
    names.map((n) =>
      build({
        entryPoints: [path.join(HERE, 'client', `${n}.ts`)],
        bundle: true,
        write: false,
        format: 'iife',
        target: 'es2020',
        minify: false,
        logLevel: 'silent',
      }).then((r) => r.outputFiles[0]!.text),
    ),
  )
  return { store: out[0]!, inbox: out[1]!, journey: out[2]! }
}

/** Only our own host names: a page elsewhere cannot reach the demo through DNS rebinding. */
function allowedHost(host: string | undefined, port: number): string | null {
  if (!host) return null
  const m = /^(127\.0\.0\.1|localhost):(\d+)$/.exec(host)
  return m && Number(m[2]) === port ? host : null
}

/** A request handler that gets the (checked) Host. */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, host: string) => Promise<void>

/** An http.Server that answers 421 to foreign Host headers. */
export function serve(handler: Handler, portRef: { port: number }): http.Server {
  const server = http.createServer((req, res) => {
    const host = allowedHost(req.headers.host, portRef.port)
    if (!host) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('misdirected request: use 127.0.0.1 or localhost')
      return
    }
    handler(req, res, host).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(err instanceof Error ? err.message : 'internal error')
    })
  })
  server.keepAliveTimeout = 5_000
  return server
}

/** Listen on 127.0.0.1:`port`; resolves to the bound port. */
export function listenOn(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as { port: number }).port)
    })
  })
}

/** Close a server and its connections. */
export function closeHttp(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
