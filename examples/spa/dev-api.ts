// The example's own backend while it runs under Vite (`npm run dev`, `npm run preview`):
// - POST /api/subscribe: a stand-in for your app's newsletter endpoint (the forms post here). It
//   checks the email and answers 201; your real endpoint would add the address to your mailing
//   list. mailstitch needs nothing from it: it captures the form on the page.
// - GET /config.js with MAILSTITCH_DEMO=1: the runtime settings of public/config.js, pointed at
//   the emulators of the repository's `npm run demo` (its Segment collector and Klaviyo emulator),
//   so a signup shows up in the demo's journey viewer. The demo's ports are read from the same
//   environment variables the demo itself reads (MAILSTITCH_COLLECTOR_PORT, MAILSTITCH_KLAVIYO_PORT).
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Plugin } from 'vite'

/** The demo's keys and default ports (sandbox/demo/options.ts in the repository). */
export const DEMO = {
  segmentWriteKey: 'demo_website',
  klaviyoPublicKey: 'HbrLm1',
  klaviyoListId: 'NwsL7r',
  collectorPort: 8781,
  klaviyoPort: 8782,
} as const

/** The settings public/config.js would hold, for the demo's emulators. */
export function demoConfig(env: Record<string, string | undefined>): Record<string, string> {
  const collector = Number(env.MAILSTITCH_COLLECTOR_PORT || DEMO.collectorPort)
  const klaviyo = Number(env.MAILSTITCH_KLAVIYO_PORT || DEMO.klaviyoPort)
  return {
    segmentWriteKey: DEMO.segmentWriteKey,
    klaviyoPublicKey: DEMO.klaviyoPublicKey,
    klaviyoListId: DEMO.klaviyoListId,
    segmentCdnURL: `http://127.0.0.1:${collector}`,
    klaviyoApiBase: `http://127.0.0.1:${klaviyo}`,
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const MAX_BODY_BYTES = 16 * 1024

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= MAX_BODY_BYTES) chunks.push(c)
    })
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined))
    req.on('error', () => resolve(undefined))
  })
}

/** The handler of POST /api/subscribe: `{ email, list }` → 201 `{ ok: true }`, or 400 with the reason. */
async function subscribe(req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<void> {
  let body: { email?: unknown; list?: unknown } = {}
  try {
    body = JSON.parse((await readBody(req)) ?? '')
  } catch {
    return send(res, 400, { ok: false, error: 'expected a JSON body { email, list }' })
  }
  const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : ''
  if (!EMAIL.test(email)) return send(res, 400, { ok: false, error: 'not an email address' })
  log(`/api/subscribe: ${email} (${typeof body.list === 'string' ? body.list : 'no list'})`)
  send(res, 201, { ok: true })
}

/** Vite plugin: the example's backend in `vite` (dev) and `vite preview`. */
export function exampleBackend(env: Record<string, string | undefined> = process.env): Plugin {
  const demo = env.MAILSTITCH_DEMO === '1' || env.MAILSTITCH_DEMO === 'true'
  const log = (line: string) => console.log(`  [example backend] ${line}`)
  const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = (req.url ?? '').split('?')[0]
    if (path === '/api/subscribe' && req.method === 'POST') return void subscribe(req, res, log)
    if (path === '/api/subscribe') return send(res, 405, { ok: false, error: 'POST only' })
    if (demo && path === '/config.js' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/javascript', 'cache-control': 'no-store' })
      return void res.end(`// MAILSTITCH_DEMO=1: the emulators of \`npm run demo\` (served by dev-api.ts instead of public/config.js)\nwindow.SHOP_CONFIG = ${JSON.stringify(demoConfig(env), null, 2)}\n`)
    }
    next()
  }
  return {
    name: 'mailstitch-example-backend',
    configureServer(server) {
      if (demo) {
        const c = demoConfig(env)
        log(`MAILSTITCH_DEMO=1: Segment → ${c.segmentCdnURL}, Klaviyo → ${c.klaviyoApiBase} (start them with \`npm run demo\` in the repository root)`)
      }
      server.middlewares.use(middleware)
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware)
    },
  }
}
