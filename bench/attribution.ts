/**
 * Row 9: the attribution matrix (issue 21). For each shopper path, is the order credited to the
 * email click? Three columns:
 * - mailstitch: the journey model (src/journey) over what reaches Segment with mailstitch;
 * - Segment alone: the same model over the events as Segment and Klaviyo key them without it
 *   (src/journey/unstitched.ts: email events keyed by the Klaviyo profile, orders from Shopify's
 *   own integration by the buyer's email, no bridge ids);
 * - Klaviyo: Klaviyo's own attribution inside Klaviyo, by its default rules (help.klaviyo.com
 *   article 28413442705435, "Default message attribution settings"): last touch, the order's
 *   profile (matched by the order's email) clicked or opened an email at most 5 days before.
 *
 * What runs for real: the Klaviyo emulator holding the profiles and the click events, the relay's
 * Klaviyo mapping (mapKlaviyoEvent over the event document Get Event answers) for the relayed
 * `Email Link Clicked`, the relay's Shopify order handler (handleShopifyWebhook, with its Klaviyo
 * look-up by email) on a signed `orders/create` webhook, the Shopify add-on's cart decision
 * (cartAction) and the journey model. What is modelled: the browser's own events (pages, the
 * capture's `Email Captured`, `Email Link Landed`, the add-on's `Visitor Linked`) as analytics.js
 * sends them, decided by the SDK's landing rule (src/browser/landing-decision.ts: adopt when the
 * browser is fresh; and where an ad blocker refuses analytics.js at capture, the runner's minted
 * anonymousId, src/browser/runner/anonymous-id.ts). The browser side of these paths runs in
 * Chromium in the e2e suite (e2e/examples/shopify.spec.ts purged-browser tests,
 * e2e/examples/shopify-pixel.spec.ts, e2e/shopify-journey.spec.ts, e2e/adblock-journey.spec.ts).
 *
 * Run just this row: BENCH_ONLY=attribution npm run bench   (or: node --import tsx bench/attribution.ts)
 */
import { fileURLToPath } from 'node:url'
import { startKlaviyoEmulator, type KlaviyoEmulator } from '../sandbox/klaviyo-emulator'
import { eventDocument } from '../sandbox/klaviyo/resources'
import { shopifyWebhookRequest } from '../sandbox/shopify/order-webhook'
import { handleShopifyWebhook } from '../src/webhook/shopify'
import { KlaviyoLookup } from '../src/webhook/klaviyo-lookup'
import { mapKlaviyoEvent } from '../src/shared/klaviyo-map'
import { EMAIL_CAPTURED, EMAIL_LINK_LANDED, VISITOR_LINKED } from '../src/shared/email-events'
import { cartAction } from '../src/shopify/cart-bridge'
import { readEvents } from '../src/journey/events'
import { compareJourneys } from '../src/journey/model'
import type { Row, Section } from './lib/stats'

const PK = 'pk_bench'
const SECRET = 'shpss_bench_attribution'
const DAY = 86_400
const T0 = Date.parse('2026-11-02T10:00:00Z')
const at = (s: number) => new Date(T0 + s * 1000).toISOString()
/** Klaviyo's default email attribution window (clicks and opens), seconds. */
const KLAVIYO_WINDOW_S = 5 * DAY
const DESKTOP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15'
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1'
const SHOP = 'https://shop.example'

/** What one path's run produced. */
export interface PathResult {
  path: string
  consented: boolean
  mailstitch: boolean
  segmentAlone: string
  klaviyo: boolean
  /** How the order reached Segment (`order keyed by …`), or why it did not. */
  how: string
}

/** A browser as the bench models it: its Segment ids and mailstitch state. */
interface Browser {
  ua: string
  anonymousId: string
  bridgeId?: string
  captured?: boolean
}

/** One path's world: the emulator, the events that reached Segment, the carts. */
class World {
  readonly segment: Record<string, unknown>[] = []
  private n = 0
  private clickAt?: number
  constructor(
    readonly klaviyo: KlaviyoEmulator,
    readonly email: string,
  ) {}

  page(b: Browser, s: number, path = '/', query = ''): void {
    const url = `${SHOP}${path}${query}`
    const u = new URL(url)
    this.segment.push({ type: 'page', messageId: `ajs-${++this.n}`, anonymousId: b.anonymousId, timestamp: at(s), properties: {}, context: { page: { url, path: u.pathname, search: u.search, referrer: '' }, userAgent: b.ua, library: { name: 'analytics.js', version: 'next-1.84.3' } } })
  }

  track(b: Browser, s: number, event: string, properties: Record<string, unknown>, messageId = `ajs-${++this.n}`): void {
    this.segment.push({ type: 'track', event, messageId, anonymousId: b.anonymousId, timestamp: at(s), properties, context: { page: { url: `${SHOP}/`, path: '/', search: '', referrer: '' }, userAgent: b.ua, library: { name: 'analytics.js', version: 'next-1.84.3' } } })
  }

  /** A capture in this browser: the profile gets the bridge id (the SDK's Klaviyo client call), Segment the identify and Email Captured. */
  capture(b: Browser, s: number): void {
    b.bridgeId = b.anonymousId
    b.captured = true
    this.klaviyo.store.createOrUpdateProfile({ email: this.email, anonymous_id: b.anonymousId, properties: { segment_anonymous_id: b.anonymousId } }, { mode: 'client' })
    this.segment.push({ type: 'identify', messageId: `mst-${++this.n}-identify`, anonymousId: b.anonymousId, timestamp: at(s), traits: { email: this.email }, context: { page: { url: `${SHOP}/` }, userAgent: b.ua, library: { name: 'analytics.js', version: 'next-1.84.3' } } })
    this.track(b, s, EMAIL_CAPTURED, { source: 'footer' }, `mst-${this.n}-captured`)
  }

  /**
   * A capture in a browser whose analytics.js an ad blocker refuses (the snippet's stub stays):
   * the SDK's runner mints the anonymousId analytics-next would have made (job-runner.ts
   * `resolveBridgeId`, anonymous-id.ts) and sends the profile with it; Segment gets nothing from
   * this browser (identify and Email Captured wait in its outbox for a page where analytics.js
   * loads: in this path it never does).
   */
  captureBlocked(b: Browser, minted: string): void {
    b.anonymousId = minted
    b.bridgeId = minted
    b.captured = true
    this.klaviyo.store.createOrUpdateProfile({ email: this.email, anonymous_id: minted, properties: { segment_anonymous_id: minted } }, { mode: 'client' })
  }

  /** The email address reached Klaviyo without mailstitch (Klaviyo's own form, Shopify's customer sync): no bridge id. */
  profileWithoutBridge(): void {
    this.klaviyo.store.createOrUpdateProfile({ email: this.email }, { mode: 'client' })
  }

  /** The shopper clicks a campaign email in `b` at second `s`: Klaviyo records it, the relay relays it, the browser lands. */
  click(b: Browser | undefined, s: number): void {
    this.clickAt = s
    const profile = this.klaviyo.store.findProfile({ email: this.email })!
    const event = this.klaviyo.store.recordEvent({ metricName: 'Clicked Email', profileId: profile.id, time: T0 + s * 1000, properties: { $message: 'M1', Subject: 'Back in linen', 'Campaign Name': 'Linen', URL: `${SHOP}/products/linen` } })
    const doc = eventDocument(this.klaviyo.store, event)
    const relayed = mapKlaviyoEvent({ event: doc.data, profile: doc.included.find((r) => r.type === 'profile'), metricName: 'Clicked Email' })
    if (relayed) this.segment.push(relayed as unknown as Record<string, unknown>)
    if (!b) return
    // The link carries mst only where the profile has a bridge id ({{ person|lookup:'segment_anonymous_id' }}).
    const token = profile.properties.segment_anonymous_id as string | undefined
    this.page(b, s, '/products/linen', `?utm_source=klaviyo&utm_medium=email&utm_campaign=Linen`)
    if (!token) return
    // src/browser/landing-decision.ts: same id → 'same'; a fresh browser adopts; otherwise 'kept'.
    const fresh = !b.captured && !b.bridgeId
    const outcome = b.anonymousId === token ? 'same' : fresh ? 'adopted' : 'kept'
    if (outcome === 'adopted') {
      const previous = b.anonymousId
      b.anonymousId = token
      b.bridgeId = token
      this.track(b, s, EMAIL_LINK_LANDED, { outcome, previous_anonymous_id: previous })
    } else {
      this.track(b, s, EMAIL_LINK_LANDED, { outcome })
    }
  }

  /** Add to cart in `b`: the add-on's decision on what the cart attribute holds afterwards. */
  addToCart(b: Browser, s: number, cart: { attribute?: string }): void {
    this.page(b, s, '/products/linen')
    this.track(b, s + 1, 'Product Added', { product_id: 'linen' })
    const action = cartAction({ own: b.bridgeId, captured: !!b.captured, onCart: cart.attribute, hasItems: true })
    if (action.kind === 'write') cart.attribute = action.value
    if (action.kind === 'link') this.track(b, s + 1, VISITOR_LINKED, { bridge_id: action.bridgeId, source: 'cart' })
  }

  /** Safari's purge: script-written cookies and localStorage go; the next visit gets a new anonymousId. */
  purge(b: Browser, newId: string): void {
    b.anonymousId = newId
    b.bridgeId = undefined
    b.captured = false
  }

  /** The order's orders/create webhook through the relay's Shopify handler (with the Klaviyo look-up), its messages into Segment. */
  async order(s: number, orderId: string, attribute: string | undefined): Promise<string> {
    const lookup = new KlaviyoLookup({ privateKey: PK, apiBase: this.klaviyo.url })
    const lines: string[] = []
    const request = shopifyWebhookRequest('https://relay.example/shopify', { secret: SECRET, order: { orderId, bridgeId: attribute, customerId: null, email: this.email, createdAt: at(s) } })
    const response = await handleShopifyWebhook(request, { secrets: [SECRET], lookup, log: (l) => lines.push(l) }, async (messages) => {
      this.segment.push(...(messages as unknown as Record<string, unknown>[]))
    })
    if (response.status !== 200) return `relay answered ${response.status}`
    const line = lines.join(' ')
    const keyed = /keyed by ([^;]+?)(?:$|;)/.exec(line)?.[1]?.trim()
    return keyed ? `order keyed by ${keyed}` : /skipped/.test(line) ? 'order not sent: no visitor to key it to' : line
  }

  /** Klaviyo's own attribution: the order's profile clicked within the window before the order. */
  klaviyoCredits(orderAt: number): boolean {
    return this.clickAt !== undefined && orderAt >= this.clickAt && orderAt - this.clickAt <= KLAVIYO_WINDOW_S
  }

  verdicts(orderId: string): { mailstitch: boolean; segmentAlone: string } {
    const { events } = readEvents(this.segment)
    const model = compareJourneys(events)
    const find = (v: typeof model.with) => v.visitors.flatMap((x) => x.orders).find((o) => o.order?.orderId === orderId)?.order
    const withOrder = find(model.with)
    const without = find(model.without)
    const segmentAlone = !without ? 'no (no order)' : without.emailClick ? 'yes' : without.email.last ? 'no (UTM only)' : 'no'
    return { mailstitch: !!withOrder?.emailClick, segmentAlone }
  }
}

type PathRun = (w: World) => Promise<{ orderId: string; orderAt: number; how: string }>

/** The shopper paths of issue 21, each from the first visit to the order. */
export const PATHS: { name: string; consented: boolean; run: PathRun }[] = [
  {
    name: 'same device, cart attribute',
    consented: true,
    run: async (w) => {
      const desktop: Browser = { ua: DESKTOP, anonymousId: 'desk-0000-0001' }
      const cart: { attribute?: string } = {}
      w.page(desktop, 0)
      w.capture(desktop, 10)
      w.click(desktop, DAY)
      w.addToCart(desktop, DAY + 60, cart)
      return { orderId: '9001', orderAt: DAY + 600, how: await w.order(DAY + 600, '9001', cart.attribute) }
    },
  },
  {
    name: 'clicked on the phone, bought there',
    consented: true,
    run: async (w) => {
      const desktop: Browser = { ua: DESKTOP, anonymousId: 'desk-0000-0002' }
      const phone: Browser = { ua: PHONE, anonymousId: 'phone-000-0002' }
      const cart: { attribute?: string } = {}
      w.page(desktop, 0)
      w.capture(desktop, 10)
      w.click(phone, DAY)
      w.addToCart(phone, DAY + 60, cart)
      return { orderId: '9002', orderAt: DAY + 600, how: await w.order(DAY + 600, '9002', cart.attribute) }
    },
  },
  {
    name: 'captured on desktop, clicked on phone, bought on desktop 3 days later',
    consented: true,
    run: async (w) => {
      const desktop: Browser = { ua: DESKTOP, anonymousId: 'desk-0000-0003' }
      const phone: Browser = { ua: PHONE, anonymousId: 'phone-000-0003' }
      const cart: { attribute?: string } = {}
      w.page(desktop, 0)
      w.capture(desktop, 10)
      w.click(phone, DAY)
      w.page(desktop, 4 * DAY)
      w.addToCart(desktop, 4 * DAY + 60, cart)
      return { orderId: '9003', orderAt: 4 * DAY + 600, how: await w.order(4 * DAY + 600, '9003', cart.attribute) }
    },
  },
  {
    name: 'express checkout (Shop Pay) without the attribute',
    consented: true,
    run: async (w) => {
      const desktop: Browser = { ua: DESKTOP, anonymousId: 'desk-0000-0004' }
      w.page(desktop, 0)
      w.capture(desktop, 10)
      w.click(desktop, DAY)
      // Shop Pay from the product page: no cart, so no attribute on the order.
      return { orderId: '9004', orderAt: DAY + 300, how: await w.order(DAY + 300, '9004', undefined) }
    },
  },
  {
    name: 'purged browser (Safari, 7 days) returning direct',
    consented: true,
    run: async (w) => {
      const safari: Browser = { ua: DESKTOP, anonymousId: 'safari-00-0005' }
      const cart: { attribute?: string } = {}
      w.page(safari, 0)
      w.capture(safari, 10)
      w.click(safari, DAY)
      w.addToCart(safari, DAY + 60, cart)
      w.purge(safari, 'safari-new-0005')
      w.page(safari, 9 * DAY)
      w.addToCart(safari, 9 * DAY + 60, cart)
      return { orderId: '9005', orderAt: 9 * DAY + 600, how: await w.order(9 * DAY + 600, '9005', cart.attribute) }
    },
  },
  {
    name: 'purged browser returning through an email click',
    consented: true,
    run: async (w) => {
      const safari: Browser = { ua: DESKTOP, anonymousId: 'safari-00-0006' }
      const cart: { attribute?: string } = {}
      w.page(safari, 0)
      w.capture(safari, 10)
      w.addToCart(safari, 60, cart)
      w.purge(safari, 'safari-new-0006')
      w.click(safari, 9 * DAY)
      w.addToCart(safari, 9 * DAY + 60, cart)
      return { orderId: '9006', orderAt: 9 * DAY + 600, how: await w.order(9 * DAY + 600, '9006', cart.attribute) }
    },
  },
  {
    name: 'consent denied',
    consented: false,
    run: async (w) => {
      // Nothing runs in the browser (neither analytics.js nor mailstitch); the address reached Klaviyo through its own form.
      w.profileWithoutBridge()
      w.click(undefined, DAY)
      return { orderId: '9007', orderAt: DAY + 600, how: await w.order(DAY + 600, '9007', undefined) }
    },
  },
  {
    name: 'Segment blocked by an ad blocker at capture',
    consented: true,
    run: async (w) => {
      // analytics.js never loads on the desktop (its page views never reach Segment): the capture
      // mints the id analytics.js will adopt and the profile carries it; the email's link then
      // names it, the phone adopts it, and the cart attribute carries it.
      const desktop: Browser = { ua: DESKTOP, anonymousId: '' }
      w.captureBlocked(desktop, '6f1c2d3e-4a5b-4c6d-8e7f-000000000008')
      const phone: Browser = { ua: PHONE, anonymousId: 'phone-000-0008' }
      const cart: { attribute?: string } = {}
      w.click(phone, DAY)
      w.addToCart(phone, DAY + 60, cart)
      return { orderId: '9008', orderAt: DAY + 600, how: await w.order(DAY + 600, '9008', cart.attribute) }
    },
  },
]

/** Run every path against a fresh emulator and compute the three verdicts. */
export async function attributionMatrix(): Promise<PathResult[]> {
  const results: PathResult[] = []
  for (const [i, p] of PATHS.entries()) {
    const klaviyo = await startKlaviyoEmulator({ port: 0, privateKeys: [PK] })
    try {
      const w = new World(klaviyo, `shopper${i + 1}@example.com`)
      const { orderId, orderAt, how } = await p.run(w)
      const v = w.verdicts(orderId)
      results.push({ path: p.name, consented: p.consented, mailstitch: v.mailstitch, segmentAlone: v.segmentAlone, klaviyo: w.klaviyoCredits(orderAt), how })
    } finally {
      await klaviyo.close()
    }
  }
  return results
}

/** The matrix as bench rows (row 9): goal "credited" for every consented path, "not credited" when consent was denied. */
export async function benchAttributionRows(): Promise<Section> {
  const results = await attributionMatrix()
  const yes = (b: boolean) => (b ? 'yes' : 'no')
  const rows: Row[] = results.map((r) => ({
    n: 9,
    figure: `Order credited to the email click: ${r.path}`,
    mailstitch: `${yes(r.mailstitch)} (${r.how})`,
    baseline: `Segment alone: ${r.segmentAlone}; Klaviyo: ${yes(r.klaviyo)}`,
    ratio: '—',
    goal: r.consented ? 'credited' : 'never credited',
    met: r.consented ? r.mailstitch : !r.mailstitch,
  }))
  const notes = [
    'Attribution matrix (#9, bench/attribution.ts): per shopper path, whether the order is credited to the email click in the journey model over what reaches Segment (mailstitch), over the same events keyed as Segment and Klaviyo key them alone (Segment alone), and by Klaviyo\'s own default attribution (last touch, a click or open at most 5 days before the order, matched by the order\'s email). The relay\'s Shopify handler with its Klaviyo look-up, the Klaviyo emulator and the relay\'s Klaviyo mapping run for real; the browser\'s events are modelled by the SDK\'s own landing and cart rules (the browser side runs in Chromium in the e2e suite). "Segment blocked at capture": the SDK mints the anonymousId analytics.js will adopt (crypto.randomUUID) and the profile carries it, so the link and the order email name the visitor (the browser side: e2e/adblock-journey.spec.ts); a browser without crypto.randomUUID (or with no Segment snippet at all) still resolves no_analytics.',
  ]
  return { rows, notes }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  attributionMatrix().then((results) => {
    const yes = (b: boolean) => (b ? 'yes' : 'no')
    console.log('| Shopper path | mailstitch | Segment alone | Klaviyo | the order in Segment |\n|---|---|---|---|---|')
    for (const r of results) console.log(`| ${r.path} | ${yes(r.mailstitch)} | ${r.segmentAlone} | ${yes(r.klaviyo)} | ${r.how} |`)
    process.exit(0)
  }, (e: unknown) => {
    console.error(e)
    process.exit(1)
  })
}
