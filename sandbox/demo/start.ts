/** `startDemo()`: collector, emulator, store, console and relay wired together (see sandbox/demo.ts). */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRelay, type Relay } from '../../src/relay/index'
import { KlaviyoLookup } from '../../src/webhook/klaviyo-lookup'
import { KLAVIYO_EMAIL_METRICS, startKlaviyoEmulator, type KlaviyoEmulator } from '../klaviyo-emulator'
import { startSegmentCollector, type SegmentCollector } from '../segment-collector'
import { consoleHandler, type RelayStatus } from './console'
import { Mailer } from './mailer'
import { COMPANY_ID, DEFAULT_PORTS, DemoPortError, LIST_ID, PORT_SETTINGS, PRIVATE_KEY, RELAY_WRITE_KEY, SITE_WRITE_KEY, type DemoOptions, type PortName } from './options'
import { followRelay } from './relay-loop'
import { bundleClients, closeHttp, listenOn, serve, type Handler } from './servers'
import { storeHandler, type ContactPost } from './store'
import { createShopifyCheckout } from '../shopify/checkout'
import type { SegmentTrackMessage } from '../../src/shared/segment-message'

/** The demo's Shopify webhook signing secret (the checkout stand-in and the relay share it). */
const SHOPIFY_WEBHOOK_SECRET = 'demo_shopify_webhook_secret'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Where each part of the running demo is. */
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

/** A running demo. */
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
  // The same relay with a typo in its write key, run on demand from the journey viewer: Segment
  // answers 200 and drops every event, which is what `mailstitch relay check` warns about.
  const mistypedWriteKey = `${RELAY_WRITE_KEY}_typo`
  const mistypedStatePath = path.join(dataDir, 'relay-state-mistyped-key.json')
  rmSync(mistypedStatePath, { force: true })
  const mistypedRelay = createRelay({
    klaviyoPrivateKey: PRIVATE_KEY,
    segmentWriteKey: mistypedWriteKey,
    klaviyoApiBase: klaviyo.url,
    segmentApiHost: collector.url,
    statePath: mistypedStatePath,
    lookbackSeconds: 3600,
    segment: { maxRetries: 2 },
    klaviyoRetry: { httpAttempts: 3, networkAttempts: 3, maxIntervalSeconds: 5 },
  })
  closers.push(() => mistypedRelay.stop())
  const interval = options.relayIntervalSeconds ?? 2
  const loop = followRelay(relay, interval, log)
  const status = loop.status
  closers.push(() => loop.stop())

  // `--checkout shopify`: orders come from a Shopify checkout stand-in whose orders/create webhook
  // goes through the relay's Shopify handler (src/webhook/shopify.ts) to Segment, as the relay's
  // source (the same write key as its email events).
  const deliverAsRelay = async (messages: SegmentTrackMessage[]) => {
    const response = await fetch(`${collector.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(RELAY_WRITE_KEY + ':').toString('base64')}` },
      body: JSON.stringify({ batch: messages }),
    })
    if (!response.ok) throw new Error(`Segment answered ${response.status}`)
  }
  const shopifyCheckout =
    options.checkout === 'shopify'
      ? createShopifyCheckout({
          secret: SHOPIFY_WEBHOOK_SECRET,
          deliver: deliverAsRelay,
          // As `relay serve` with KLAVIYO_PRIVATE_KEY: orders without the attribute are joined by email.
          lookup: new KlaviyoLookup({ privateKey: PRIVATE_KEY, apiBase: klaviyo.url }),
          log: (line) => log(`relay: ${line}`),
        })
      : undefined

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
      shopifyCheckout,
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
    mistypedKeyRelay: async () => {
      const s = await mistypedRelay.pollOnce()
      log(`relay (mistyped write key ${mistypedWriteKey}): sent ${s.sent}; Segment answered 200 and dropped them`)
      return { sent: s.sent, writeKey: mistypedWriteKey }
    },
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
    pollNow: () => loop.pollNow(),
    close: closeAll,
  }
}
