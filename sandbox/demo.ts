/**
 * `npm run demo`: the whole mailstitch journey on one machine, in one process, with no keys and
 * no network. Starts the Segment collector (JSON lines in .sandbox/events.jsonl), the Klaviyo
 * emulator, the demo store (on 127.0.0.1 and localhost: two host names, two cookie jars, two
 * "devices"), the relay following the emulator every 2 s, and the console (email simulator and
 * journey viewer). `startDemo()` is also what the flagship e2e test runs, on ephemeral ports.
 */
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { startSegmentCollector, type SegmentCollector } from './segment-collector'
import { KLAVIYO_EMAIL_METRICS, startKlaviyoEmulator, type KlaviyoEmulator } from './klaviyo-emulator'
import { createRelay, type Relay } from '../src/relay/index'
import { Mailer } from './demo/mailer'
import { storeHandler, type ContactPost } from './demo/store'
import { consoleHandler, type RelayStatus } from './demo/console'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '..')

/** Fixed default ports (override with env or flags). */
export const DEFAULT_PORTS = { store: 8780, collector: 8781, klaviyo: 8782, console: 8783 } as const
export type PortName = keyof typeof DEFAULT_PORTS

/** Segment write keys of the two sources: the website and the relay. */
export const SITE_WRITE_KEY = 'demo_website'
export const RELAY_WRITE_KEY = 'demo_klaviyo_relay'
/** Klaviyo public key, list and the private key the relay reads with. */
export const COMPANY_ID = 'HbrLm1'
export const LIST_ID = 'NwsL7r'
export const PRIVATE_KEY = 'pk_demo_relay'

export interface DemoOptions {
  /** Ports; 0 picks a free one (tests). Defaults: {@link DEFAULT_PORTS}. */
  ports?: Partial<Record<PortName, number>>
  /** Directory for events.jsonl and the relay state; default `<repo>/.sandbox`. */
  dataDir?: string
  /** Keep events.jsonl from an earlier run (default: start it afresh). */
  keepEvents?: boolean
  /** Seconds between relay polls (default 2). */
  relayIntervalSeconds?: number
  /** Progress lines (default: none). */
  log?: (line: string) => void
}

export interface DemoUrls {
  /** The store as "this browser" (127.0.0.1). */
  store: string
  /** The same store as "another device" (localhost: separate cookies). */
  storeOtherDevice: string
  inbox: string
  journey: string
  console: string
  collector: string
  klaviyo: string
}

export interface Demo {
  urls: DemoUrls
  collector: SegmentCollector
  klaviyo: KlaviyoEmulator
  mailer: Mailer
  relay: Relay
  /** Newsletter posts the store received. */
  posts: ContactPost[]
  eventsFile: string
  relayStatus(): RelayStatus
  /** Run one relay poll now (tests use it instead of waiting for the interval). */
  pollNow(): Promise<void>
  close(): Promise<void>
}

/** A port the demo wanted is in use (or otherwise not bindable). */
export class DemoPortError extends Error {
  constructor(
    readonly service: string,
    readonly port: number,
    readonly env: string,
    readonly flag: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: string })?.code
    super(
      code === 'EADDRINUSE'
        ? `port ${port} (${service}) is already in use. Is another demo running? Stop it, or pick another port with ${env}=<port> or ${flag} <port>.`
        : `cannot listen on 127.0.0.1:${port} (${service}): ${(cause as Error)?.message ?? cause}`,
    )
    this.name = 'DemoPortError'
  }
}

const PORT_SETTINGS: Record<PortName, { env: string; flag: string; label: string }> = {
  store: { env: 'MAILSTITCH_DEMO_PORT', flag: '--port', label: 'demo store' },
  collector: { env: 'MAILSTITCH_COLLECTOR_PORT', flag: '--collector-port', label: 'Segment collector' },
  klaviyo: { env: 'MAILSTITCH_KLAVIYO_PORT', flag: '--klaviyo-port', label: 'Klaviyo emulator' },
  console: { env: 'MAILSTITCH_CONSOLE_PORT', flag: '--console-port', label: 'email simulator and journey viewer' },
}

type ClientName = 'store' | 'inbox' | 'journey'

async function bundleClients(): Promise<Record<ClientName, string>> {
  const names: ClientName[] = ['store', 'inbox', 'journey']
  const out = await Promise.all(
    names.map((n) =>
      build({
        entryPoints: [path.join(HERE, 'demo', 'client', `${n}.ts`)],
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

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, host: string) => Promise<void>

function serve(handler: Handler, portRef: { port: number }): http.Server {
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

function listenOn(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as { port: number }).port)
    })
  })
}

function closeHttp(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** Start everything; rejects with {@link DemoPortError} (after closing what started) when a port is taken. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const log = options.log ?? (() => undefined)
  const ports = { ...DEFAULT_PORTS, ...options.ports }
  const dataDir = path.resolve(options.dataDir ?? path.join(ROOT, '.sandbox'))
  mkdirSync(dataDir, { recursive: true })
  // Keep demo output out of git without touching the repository's .gitignore.
  if (!existsSync(path.join(dataDir, '.gitignore'))) writeFileSync(path.join(dataDir, '.gitignore'), '*\n')
  const eventsFile = path.join(dataDir, 'events.jsonl')
  const statePath = path.join(dataDir, 'relay-state.json')

  const distDir = path.join(ROOT, 'dist')
  if (!existsSync(path.join(distDir, 'mailstitch.min.js'))) throw new Error('dist/mailstitch.min.js is missing: run `npm run build` first (npm run demo does).')

  const closers: Array<() => Promise<void>> = []
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined)
  }
  const want = async <T>(name: PortName, start: () => Promise<T>): Promise<T> => {
    try {
      return await start()
    } catch (err) {
      await closeAll()
      const s = PORT_SETTINGS[name]
      if ((err as { code?: string })?.code) throw new DemoPortError(s.label, ports[name], s.env, s.flag, err)
      throw err
    }
  }

  const clients = await bundleClients()
  const collector = await want('collector', () => startSegmentCollector({ port: ports.collector, writeKeys: [SITE_WRITE_KEY, RELAY_WRITE_KEY], jsonlPath: eventsFile }))
  closers.push(() => collector.close())
  const klaviyo = await want('klaviyo', () => startKlaviyoEmulator({ port: ports.klaviyo, companyIds: [COMPANY_ID], privateKeys: [PRIVATE_KEY] }))
  closers.push(() => klaviyo.close())
  // An account that sends email has Klaviyo's built-in email metrics; the relay looks them up.
  for (const name of KLAVIYO_EMAIL_METRICS) klaviyo.store.ensureMetric(name, 'klaviyo')

  const storeRef = { port: ports.store }
  const consoleRef = { port: ports.console }
  const posts: ContactPost[] = []
  // Handlers are created once both ports are known (each links to the other).
  let storeImpl: Handler = async (_q, res) => void res.writeHead(503).end()
  let consoleImpl: Handler = async (_q, res) => void res.writeHead(503).end()
  const storeServer = serve((q, r, h) => storeImpl(q, r, h), storeRef)
  const consoleServer = serve((q, r, h) => consoleImpl(q, r, h), consoleRef)
  storeRef.port = await want('store', () => listenOn(storeServer, ports.store))
  closers.push(() => closeHttp(storeServer))
  consoleRef.port = await want('console', () => listenOn(consoleServer, ports.console))
  closers.push(() => closeHttp(consoleServer))

  // Only now that every port is ours: a second demo that fails to start must not wipe the first one's files.
  if (!options.keepEvents) writeFileSync(eventsFile, '')
  rmSync(statePath, { force: true })

  const storeUrl = `http://127.0.0.1:${storeRef.port}`
  const storeOtherUrl = `http://localhost:${storeRef.port}`
  const consoleUrl = `http://127.0.0.1:${consoleRef.port}`
  const mailer = new Mailer({ store: klaviyo.store, storeUrl })

  const relay = createRelay({
    klaviyoPrivateKey: PRIVATE_KEY,
    segmentWriteKey: RELAY_WRITE_KEY,
    klaviyoApiBase: klaviyo.url,
    segmentApiHost: collector.url,
    statePath,
    lookbackSeconds: 600,
    segment: { maxRetries: 2 },
    klaviyoRetry: { httpAttempts: 3, networkAttempts: 3, maxIntervalSeconds: 5 },
    log: (line) => log(`relay: ${line}`),
  })
  const interval = options.relayIntervalSeconds ?? 2
  const status: RelayStatus = { running: true, intervalSeconds: interval, polls: 0, sent: 0 }
  let closing = false
  const onPoll = (s: { sent: number }) => {
    status.polls++
    status.sent += s.sent
    status.lastPollAt = new Date().toISOString()
    status.lastError = undefined
    if (s.sent) log(`relay: sent ${s.sent} email event${s.sent === 1 ? '' : 's'} to Segment`)
  }
  // `mailstitch relay poll --follow`, in-process. A fatal error (it should not happen against the
  // emulator) is shown in the viewer and the loop restarts, as a supervisor would restart the CLI.
  const following = (async () => {
    while (!closing) {
      try {
        await relay.follow({
          intervalSeconds: interval,
          onPoll,
          onError: (e) => {
            status.lastError = e.message
            log(`relay: poll failed, retrying: ${e.message}`)
          },
        })
      } catch (e) {
        if (closing) break
        status.lastError = e instanceof Error ? e.message : String(e)
        log(`relay: ${status.lastError} (restarting in ${interval} s)`)
        await new Promise((r) => setTimeout(r, interval * 1000))
      }
      if (!closing) await new Promise((r) => setTimeout(r, 50))
    }
    status.running = false
  })()
  closers.push(async () => {
    closing = true
    await relay.stop()
    await following
  })

  storeImpl = storeHandler(
    {
      writeKey: SITE_WRITE_KEY,
      collectorPort: collector.port,
      klaviyoUrl: klaviyo.url,
      companyId: COMPANY_ID,
      listId: LIST_ID,
      distDir,
      clientJs: () => clients.store,
      consoleUrl,
    },
    posts,
  )
  consoleImpl = consoleHandler({
    collector,
    store: klaviyo.store,
    mailer,
    storeUrl,
    storeOtherUrl,
    eventsFile: path.relative(process.cwd(), eventsFile) || eventsFile,
    clientJs: (n) => clients[n],
    posts,
    relayStatus: () => ({ ...status }),
  })

  return {
    urls: {
      store: storeUrl,
      storeOtherDevice: storeOtherUrl,
      inbox: `${consoleUrl}/inbox`,
      journey: `${consoleUrl}/journey`,
      console: consoleUrl,
      collector: collector.url,
      klaviyo: klaviyo.url,
    },
    collector,
    klaviyo,
    mailer,
    relay,
    posts,
    eventsFile,
    relayStatus: () => ({ ...status }),
    async pollNow() {
      onPoll(await relay.pollOnce())
    },
    close: closeAll,
  }
}

// ------------------------------------------------------------------------------------------ CLI

const HELP = `Usage: npm run demo [-- options]

Starts the mailstitch sandbox on this machine: demo store, Segment collector, Klaviyo emulator,
relay (polling every 2 s), email simulator and journey viewer. No keys, no network.

  --port <n>             demo store (env MAILSTITCH_DEMO_PORT, default ${DEFAULT_PORTS.store})
  --collector-port <n>   Segment collector (env MAILSTITCH_COLLECTOR_PORT, default ${DEFAULT_PORTS.collector})
  --klaviyo-port <n>     Klaviyo emulator (env MAILSTITCH_KLAVIYO_PORT, default ${DEFAULT_PORTS.klaviyo})
  --console-port <n>     email simulator + journey viewer (env MAILSTITCH_CONSOLE_PORT, default ${DEFAULT_PORTS.console})
  --data-dir <dir>       where events.jsonl and the relay state go (default .sandbox)
  --keep-events          append to events.jsonl instead of starting it afresh
  -h, --help             this help`

/** Parse flags and env into options; a string is a usage error. */
export function demoOptionsFromArgs(argv: string[], env: Record<string, string | undefined>): DemoOptions | string | 'help' {
  const ports: Partial<Record<PortName, number>> = {}
  const o: DemoOptions = { ports }
  const portValue = (raw: string | undefined, what: string): number | string => {
    const n = Number(raw)
    return raw !== undefined && /^\d+$/.test(raw) && n >= 0 && n <= 65535 ? n : `${what} must be a port number (0-65535), got "${raw ?? ''}"`
  }
  for (const [name, s] of Object.entries(PORT_SETTINGS) as Array<[PortName, (typeof PORT_SETTINGS)[PortName]]>) {
    if (env[s.env] !== undefined && env[s.env] !== '') {
      const v = portValue(env[s.env], s.env)
      if (typeof v === 'string') return v
      ports[name] = v
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const next = () => inline ?? argv[++i]
    if (flag === '-h' || flag === '--help') return 'help'
    const portName = (Object.keys(PORT_SETTINGS) as PortName[]).find((n) => PORT_SETTINGS[n].flag === flag)
    if (portName) {
      const v = portValue(next(), flag)
      if (typeof v === 'string') return v
      ports[portName] = v
    } else if (flag === '--data-dir') {
      const v = next()
      if (!v) return '--data-dir needs a directory'
      o.dataDir = v
    } else if (flag === '--keep-events') {
      o.keepEvents = true
    } else {
      return `unknown option "${a}"`
    }
  }
  return o
}

async function main(): Promise<void> {
  const parsed = demoOptionsFromArgs(process.argv.slice(2), process.env)
  if (parsed === 'help') {
    console.log(HELP)
    return
  }
  if (typeof parsed === 'string') {
    console.error(`mailstitch demo: ${parsed}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  const started = Date.now()
  let demo: Demo
  try {
    demo = await startDemo({ ...parsed, log: (l) => console.log(`  · ${l}`) })
  } catch (err) {
    console.error(`mailstitch demo: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
    return
  }
  const u = demo.urls
  console.log(`
mailstitch demo is running (started in ${Date.now() - started} ms)

  Store, this browser     ${u.store}/
  Store, another device   ${u.storeOtherDevice}/   (other host name = separate cookies)
  Email simulator         ${u.inbox}
  Journey viewer          ${u.journey}
  Start here              ${u.console}/

  Segment collector       ${u.collector}   (events also in ${path.relative(process.cwd(), demo.eventsFile)})
  Klaviyo emulator        ${u.klaviyo}
  Relay                   polling the emulator every 2 s

Walk: browse the store, subscribe in the footer, send a campaign in the simulator, click its link
on "another device", place an order, and watch it in the journey viewer. Ctrl-C stops.
Terminal view of the same data: npx tsx src/cli/main.ts journey ${path.relative(process.cwd(), demo.eventsFile)}
`)
  let stopping = false
  const stop = () => {
    if (stopping) process.exit(130)
    stopping = true
    console.log('\nstopping…')
    void demo.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

const isMain = (() => {
  try {
    return !!process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
  } catch {
    return false
  }
})()
if (isMain) void main()
