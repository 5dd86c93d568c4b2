/**
 * A stand-in for Shopify's web pixel manager, enough to run an app pixel bundle in a browser.
 * Per https://shopify.dev/docs/api/web-pixels-api (and .../pixel-privacy): an app pixel with
 * `runtime_context = "strict"` runs in a web worker (no DOM), its bundle calls
 * `register(cb)` = `shopify.extend('WebPixel::Render', cb)` (what @shopify/web-pixels-extension
 * does), and `cb` receives `{ analytics, browser, init, settings, customerPrivacy }`.
 * `analytics.subscribe(name, cb)` delivers standard events; `customerPrivacy.subscribe(
 * 'visitorConsentCollected', cb)` delivers consent decisions made while the pixel runs.
 *
 * A custom pixel (Settings → Customer events) instead sees that API as globals (`analytics`,
 * `init`, `customerPrivacy`, `browser`): https://shopify.dev/docs/api/web-pixels-api/standard-api
 *
 * The page drives it: `pixel.start(bundleUrl, settings, customerPrivacy, custom?)`, then
 * `pixel.publish(name, event)` and `pixel.consent(customerPrivacy)`; each resolves once the pixel's
 * subscribers returned.
 */

/** The worker: the pixel's sandbox. */
export const PIXEL_WORKER_JS = String.raw`
const subscribers = { analytics: new Map(), privacy: new Map() }
const add = (bus, name, cb) => {
  if (!bus.has(name)) bus.set(name, [])
  bus.get(name).push(cb)
  return () => true
}
const run = (bus, name, payload) => {
  for (const cb of bus.get(name) || []) {
    try { cb(payload) } catch (e) { self.postMessage({ type: 'error', message: String(e) }) }
  }
}
self.onmessage = (m) => {
  const msg = m.data
  if (msg.type === 'start') {
    const api = {
      settings: msg.settings,
      init: { context: {}, data: { customer: null, cart: null, shop: { name: 'Example', myshopifyDomain: 'jsmith.myshopify.com' } }, customerPrivacy: msg.customerPrivacy },
      analytics: { subscribe: (name, cb2) => add(subscribers.analytics, name, cb2) },
      customerPrivacy: { subscribe: (name, cb2) => add(subscribers.privacy, name, cb2) },
      browser: {},
    }
    if (msg.custom) {
      // A custom pixel (Settings → Customer events) gets the standard API as globals.
      self.analytics = api.analytics
      self.init = api.init
      self.customerPrivacy = api.customerPrivacy
      self.browser = api.browser
    } else {
      self.shopify = {
        extend(point, cb) {
          if (point !== 'WebPixel::Render') throw new Error('unknown extension point ' + point)
          cb({ ...api, _pixelInfo: {} })
        },
      }
    }
    importScripts(msg.bundleUrl)
  } else if (msg.type === 'publish') {
    run(subscribers.analytics, msg.name, msg.event)
    run(subscribers.analytics, 'all_events', msg.event)
  } else if (msg.type === 'consent') {
    run(subscribers.privacy, 'visitorConsentCollected', { customerPrivacy: msg.customerPrivacy })
  }
  self.postMessage({ type: 'done', seq: msg.seq })
}
`

/** The page hosting the worker: exposes `window.pixel` for the test to drive. */
export const PIXEL_PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>Thank you</title></head><body>
<h1>Thank you for your order</h1>
<script>
  let seq = 0
  const worker = new Worker('/pixel-sandbox.js')
  const waiting = new Map()
  window.pixelErrors = []
  worker.onmessage = (m) => {
    if (m.data.type === 'error') window.pixelErrors.push(m.data.message)
    if (m.data.type === 'done') { waiting.get(m.data.seq)?.(); waiting.delete(m.data.seq) }
  }
  worker.onerror = (e) => window.pixelErrors.push(String(e.message))
  const post = (msg) => new Promise((resolve) => { msg.seq = ++seq; waiting.set(msg.seq, resolve); worker.postMessage(msg) })
  window.pixel = {
    start: (bundleUrl, settings, customerPrivacy, custom) => post({ type: 'start', bundleUrl: new URL(bundleUrl, location.href).href, settings, customerPrivacy, custom: !!custom }),
    publish: (name, event) => post({ type: 'publish', name, event }),
    consent: (customerPrivacy) => post({ type: 'consent', customerPrivacy }),
  }
</script></body></html>`

/** A visitor who allowed everything / nothing. */
export const PRIVACY_ALLOWED = { analyticsProcessingAllowed: true, marketingAllowed: true, preferencesProcessingAllowed: true, saleOfDataAllowed: true }
export const PRIVACY_DENIED = { analyticsProcessingAllowed: false, marketingAllowed: false, preferencesProcessingAllowed: false, saleOfDataAllowed: false }
