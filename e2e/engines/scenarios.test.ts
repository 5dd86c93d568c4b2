/**
 * The storefront scenarios shoppers hit, in every engine they use: capture across a form POST,
 * link landing, a purged browser finding its way back through the Shopify cart, consent denied.
 * Real released bundle, real analytics-next, the emulators.
 *
 *   MAILSTITCH_ENGINES=firefox node --import tsx --test-reporter=spec e2e/engines/scenarios.test.ts
 *
 * MAILSTITCH_ENGINES is a comma list of chromium, firefox, webkit (default: all three). The
 * assertions are about what arrives, not when: the SDK may send from the page that captured or
 * from the next one, and may re-send a message (the collector keeps one copy per messageId).
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import type { SegmentEvent } from '../../sandbox/segment-collector'
import { shopifyNewsletterForm } from '../support/shopify-form'
import { ENGINE_NAMES, launchEngine, pollUntil, type Device, type Engine, type EngineName } from './engines'
import { startStack, type EngineStack } from './stack'

const TEST_TIMEOUT_MS = 90_000
/** How long a message may take to arrive (a form POST, a reload, an outbox flush). */
const ARRIVAL_MS = 20_000

function enginesToRun(): EngineName[] {
  const wanted = (process.env.MAILSTITCH_ENGINES ?? ENGINE_NAMES.join(',')).split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = wanted.filter((w) => !(ENGINE_NAMES as readonly string[]).includes(w))
  if (unknown.length || !wanted.length) throw new Error(`MAILSTITCH_ENGINES=${process.env.MAILSTITCH_ENGINES}: expected a comma list of ${ENGINE_NAMES.join(', ')}`)
  return wanted as EngineName[]
}

/** The page's Segment anonymousId, once analytics.js has loaded. */
function anonymousIdOf(device: Device): Promise<string> {
  return device.evaluate<string>('new Promise(function (r) { analytics.ready(function () { r(analytics.user().anonymousId()) }) })')
}

/** Poll `read` until it returns `want` (deep-equal), or fail with the last value. */
async function eventually<T>(read: () => T, want: T, what: string): Promise<void> {
  let last = read()
  await pollUntil(() => JSON.stringify((last = read())) === JSON.stringify(want), ARRIVAL_MS)
  assert.deepEqual(last, want, `${what}: still not there after ${ARRIVAL_MS / 1000} s`)
}

const pageUrl = (e: SegmentEvent) => String((e.context as { page?: { url?: string } } | undefined)?.page?.url ?? '')
const isPageAt = (prefix: string) => (e: SegmentEvent) => e.type === 'page' && pageUrl(e).startsWith(prefix)

for (const name of enginesToRun()) {
  describe(name, () => {
    let engine: Engine
    let stack: EngineStack
    let devices: Device[] = []
    const device = async () => {
      const d = await engine.device()
      devices.push(d)
      return d
    }

    before(async () => {
      engine = await launchEngine(name)
      console.log(`# ${name}: ${engine.version}`)
    })
    after(async () => {
      await engine?.close()
    })
    beforeEach(async () => {
      stack = await startStack()
    })
    afterEach(async () => {
      await Promise.all(devices.map((d) => d.close()))
      devices = []
      await stack.close()
    })

    it('the page-error reporter sees a thrown error, a rejected promise and console.error', { timeout: TEST_TIMEOUT_MS }, async () => {
      // Proves the "no page errors" checks below can fail in this engine.
      const faults = "<script>setTimeout(function(){throw new Error('thrown-1')});Promise.reject(new Error('rejected-2'));console.error('logged-3')</script>"
      stack.site.page('/faults', stack.storefront({ body: faults }))
      const d = await device()
      await d.goto(stack.site.url + '/faults')
      await eventually(() => ['thrown-1', 'rejected-2', 'logged-3'].map((m) => stack.pageErrors.some((e) => e.includes(m))), [true, true, true], 'page errors reported')
    })

    it('capture across a form POST: identify, Email Captured and the Klaviyo profile arrive, once each', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const { site, collector, klaviyo } = stack
      site.page('/', stack.storefront({ after: stack.inlineSnippet(), body: `<main>Home</main>${shopifyNewsletterForm}` }))
      site.page('/next', stack.storefront({ after: stack.inlineSnippet(), body: '<h1>Next</h1>', title: 'Next' }))
      const d = await device()
      await d.goto(site.url + '/')
      const anon = await anonymousIdOf(d)
      const email = 'shopper@example.com'
      await d.type('#NewsletterForm--footer', 'Shopper@Example.com')
      await d.click('#Subscribe')
      await d.waitForUrl(/customer_posted=true/)
      // The form posted exactly what the shopper typed: mailstitch neither blocks nor alters it.
      assert.equal(site.posts.at(-1)?.get('contact[email]'), 'Shopper@Example.com')
      assert.equal(site.posts.at(-1)?.get('form_type'), 'customer')

      const identify = await collector.waitFor((e) => e.type === 'identify' && e.traits?.email === email, ARRIVAL_MS)
      assert.equal(identify.anonymousId, anon)
      const captured = await collector.waitFor((e) => e.type === 'track' && e.event === 'Email Captured' && (e.context?.traits as { email?: string } | undefined)?.email === email, ARRIVAL_MS)
      assert.equal(captured.anonymousId, anon)
      await eventually(() => klaviyo.store.findProfile({ email })?.anonymous_id, anon, 'Klaviyo profile anonymous_id')
      assert.equal(klaviyo.store.findProfile({ email })?.properties?.segment_anonymous_id, anon)
      assert.deepEqual(await d.evaluate('window.mailstitch.instance.linkParams()'), { mst: anon })

      // Positive signal before counting: a later page's own page call has arrived, so copies still
      // queued on the earlier pages have had their chance to be sent.
      await d.goto(site.url + '/next')
      await collector.waitFor(isPageAt(site.url + '/next'), ARRIVAL_MS)
      const identifies = collector.events().filter((e) => e.type === 'identify' && e.traits?.email === email)
      const captures = collector.events().filter((e) => e.event === 'Email Captured' && (e.context?.traits as { email?: string } | undefined)?.email === email)
      assert.equal(identifies.length, 1, 'one identify (one messageId) per capture')
      assert.equal(captures.length, 1, 'one Email Captured (one messageId) per capture')
      t.diagnostic(`re-sent copies the collector dropped by messageId: ${collector.duplicates()}`)
      assert.deepEqual(stack.pageErrors, [])
    })

    it('link landing: the token is adopted before the first event, scrubbed from the address bar, kept on the next page', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { site, collector } = stack
      // The inline snippet right after Segment's: the adopted id is on the landing page's first page call.
      site.page('/product', stack.storefront({ after: stack.inlineSnippet(), body: '<h1>Product</h1><a id="next" href="/cart">Cart</a>', title: 'Product' }))
      site.page('/cart', stack.storefront({ after: stack.inlineSnippet(), body: '<h1>Cart</h1>', title: 'Cart' }))
      const token = `bridge-${name}-0123456789`
      // A second device: another host name, so nothing is shared with 127.0.0.1's cookies.
      const phone = site.url.replace('127.0.0.1', 'localhost')
      const d = await device()
      await d.goto(`${phone}/product?utm_source=klaviyo&mst=${token}&_kx=abc%3D%3D.AbC123#reviews`)
      assert.equal(await d.url(), `${phone}/product?utm_source=klaviyo&_kx=abc%3D%3D.AbC123#reviews`)
      assert.equal(await anonymousIdOf(d), token)
      const first = await collector.waitFor((e) => e.type === 'page', ARRIVAL_MS)
      assert.equal(first.anonymousId, token)
      assert.equal((first.context as { page: { search: string } }).page.search, '?utm_source=klaviyo&_kx=abc%3D%3D.AbC123')

      await d.click('#next')
      await d.waitForUrl(/\/cart$/)
      assert.equal(await anonymousIdOf(d), token)
      const landed = await collector.waitFor((e) => e.event === 'Email Link Landed' && e.properties?.outcome === 'adopted', ARRIVAL_MS)
      assert.equal(landed.anonymousId, token)
      await collector.waitFor(isPageAt(phone + '/cart'), ARRIVAL_MS)
      for (const e of collector.events()) {
        assert.equal(e.anonymousId, token, `${e.type} ${e.event ?? pageUrl(e)} carries the adopted id`)
        assert.doesNotMatch(JSON.stringify(e), /[?&]mst=/)
      }
      assert.deepEqual(stack.pageErrors, [])
    })

    it('link landing: a forwarded link does not take over a browser identified as someone else', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { site, collector } = stack
      site.page('/product', stack.storefront({ after: stack.inlineSnippet(), body: '<h1>Product</h1>', title: 'Product' }))
      const d = await device()
      await d.goto(site.url + '/product')
      const own = await anonymousIdOf(d)
      await d.evaluate("new Promise(function (r) { analytics.identify('user-42', {}, function () { r(true) }) })")
      await d.goto(`${site.url}/product?utm_source=klaviyo&mst=forwarded-0123456789`)
      assert.equal(await anonymousIdOf(d), own)
      const kept = await collector.waitFor((e) => e.event === 'Email Link Landed', ARRIVAL_MS)
      assert.equal(kept.properties?.outcome, 'kept')
      assert.equal(kept.anonymousId, own)
      assert.equal(kept.userId, 'user-42')
      assert.deepEqual(stack.pageErrors, [])
    })

    it('a purged browser (script-written cookies and localStorage gone, the server-set cart cookie kept) is linked once to the cart\'s bridge id', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { site, collector } = stack
      // Shopify's cart endpoints, reduced: the `cart` cookie is set by the server (Set-Cookie), as Shopify's is.
      const carts = new Map<string, { item_count: number; attributes: Record<string, string> }>()
      let writes = 0
      const cartOf = (cookie: string | undefined) => carts.get(/(?:^|;\s*)cart=([^;]+)/.exec(cookie ?? '')?.[1] ?? '')
      site.route('GET', '/cart.js', (req) => ({ body: { token: 'none', item_count: 0, attributes: {}, ...cartOf(req.headers.cookie) } }))
      site.route('POST', '/cart/add.js', (req) => {
        const existing = cartOf(req.headers.cookie)
        if (existing) {
          existing.item_count++
          return { body: existing }
        }
        const token = `c${carts.size + 1}x${Date.now()}`
        carts.set(token, { item_count: 1, attributes: {} })
        return { headers: { 'set-cookie': `cart=${token}; Path=/; SameSite=Lax; Max-Age=1209600` }, body: carts.get(token)! }
      })
      site.route('POST', '/cart/update.js', (req) => {
        const cart = cartOf(req.headers.cookie)
        if (!cart) return { status: 404, body: {} }
        writes++
        Object.assign(cart.attributes, (JSON.parse(req.body.toString('utf8')) as { attributes?: Record<string, string> }).attributes)
        return { body: cart }
      })
      const addOn = '<script src="/dist/mailstitch-shopify.min.js" defer data-root="/"></script>'
      site.page('/', stack.storefront({ after: stack.scriptTag() + addOn, body: '<h1>Home</h1>' }))
      const d = await device()
      await d.goto(site.url + '/')
      const anon = await anonymousIdOf(d)
      assert.deepEqual(await d.evaluate("window.mailstitch.instance.capture('purged@example.com').then(function (r) { return r.ok })"), true)
      await d.evaluate("fetch('/cart/add.js', { method: 'POST' }).then(function () { return window.mailstitch.shopify.sync() }).then(function () { return true })")
      await eventually(() => [...carts.values()][0]?.attributes.mailstitch_anonymous_id, anon, 'the cart attribute')

      // Safari's purge: every cookie a script wrote and all storage; the server's `cart` cookie stays.
      await d.evaluate(`(function () {
        document.cookie.split('; ').forEach(function (pair) {
          var name = pair.split('=')[0]
          if (name && name !== 'cart') document.cookie = name + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
        })
        localStorage.clear(); sessionStorage.clear(); return document.cookie
      })()`)
      await d.goto(site.url + '/')
      const fresh = await anonymousIdOf(d)
      assert.notEqual(fresh, anon, 'the purged browser has a new anonymousId')
      const linked = await collector.waitFor((e) => e.event === 'Visitor Linked', ARRIVAL_MS)
      assert.equal(linked.anonymousId, fresh)
      assert.deepEqual(linked.properties, { bridge_id: anon, source: 'cart' })

      // A second page: its own page call first, then nothing more linked and the cart untouched.
      await d.goto(site.url + '/?again=1')
      await collector.waitFor(isPageAt(site.url + '/?again=1'), ARRIVAL_MS)
      await d.evaluate('window.mailstitch.shopify.sync().then(function () { return true })')
      assert.equal(collector.events().filter((e) => e.event === 'Visitor Linked').length, 1)
      assert.equal([...carts.values()][0]?.attributes.mailstitch_anonymous_id, anon)
      assert.equal(writes, 1)
      assert.deepEqual(stack.pageErrors, [])
    })

    it('consent denied: no cookie, no storage, no request from mailstitch', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { site, collector, klaviyo } = stack
      site.page('/', stack.storefront({
        before: '<script>window.cmp={allows:function(){return false}}</script>',
        after: stack.inlineSnippet({ consent: 'cmp.allows' }),
        body: shopifyNewsletterForm,
      }))
      const d = await device()
      const token = 'denied-0123456789'
      await d.goto(`${site.url}/?mst=${token}`)
      // Positive signal first: the page's own page call arrived, so the page's scripts have run.
      await collector.waitFor(isPageAt(site.url + '/'), ARRIVAL_MS)
      assert.doesNotMatch(await d.url(), /mst=/, 'the token is scrubbed from the address bar even without consent')
      assert.deepEqual(await d.evaluate("window.mailstitch.instance.capture('no@example.com')"), { ok: false, reason: 'no_consent' })
      await d.type('#NewsletterForm--footer', 'no2@example.com')
      await d.click('#Subscribe')
      await d.waitForUrl(/customer_posted=true/)
      assert.equal(site.posts.at(-1)?.get('contact[email]'), 'no2@example.com')
      // And the next page's own page call: anything mailstitch had queued would have gone by now.
      await collector.waitFor((e) => e.type === 'page' && pageUrl(e).includes('customer_posted=true'), ARRIVAL_MS)

      assert.deepEqual(klaviyo.requestLog(), [], 'no request reached Klaviyo')
      assert.deepEqual(collector.events().filter((e) => e.type === 'identify' || /^Email /.test(e.event ?? '')), [])
      assert.notEqual(await anonymousIdOf(d), token, 'the token is not adopted without consent')
      const cookies = await d.evaluate<string>('document.cookie')
      assert.deepEqual(cookies.split(';').map((c) => c.trim().split('=')[0]).filter((n) => /^mst/.test(n ?? '')), [], `cookies: ${cookies}`)
      const stored = await d.evaluate<string[]>('Object.keys(localStorage).concat(Object.keys(sessionStorage))')
      assert.deepEqual(stored.filter((k) => /mailstitch|^mst/.test(k)), [], `storage keys: ${stored.join(', ')}`)
      assert.deepEqual(stack.pageErrors, [])
    })
  })
}
