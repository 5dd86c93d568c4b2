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
 * `browser` follows https://shopify.dev/docs/api/web-pixels-api/standard-api/browser: methods that
 * "asynchronously execute in the top frame", so each call here is a message to the page, which
 * runs it on its own `document.cookie` / `localStorage` / `sessionStorage` and answers.
 * `cookie.get(name)` resolves to "the cookie value as a string"; the page says neither how a
 * missing cookie reads nor whether the value is decoded, so this gives the less convenient answers:
 * `''` for a missing cookie, and the raw (still URI-encoded) value. `cookie.get()` without a name
 * resolves to the whole cookie string. `cookie.set('k=v; …')` or `set(name, value)` writes one.
 * The storages' `getItem`, `setItem`, `removeItem`, `key`, `length` and `clear` resolve to what
 * the DOM method returns.
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
// The standard API's browser methods run in the top frame: ask the page, await its answer.
const pendingTop = new Map()
let topSeq = 0
const inTopFrame = (method, args) => new Promise((resolve, reject) => {
  const id = ++topSeq
  pendingTop.set(id, { resolve, reject })
  self.postMessage({ type: 'browser', id, method, args })
})
const storage = (area) => ({
  getItem: (key) => inTopFrame(area + '.getItem', [key]),
  setItem: (key, value) => inTopFrame(area + '.setItem', [key, value]),
  removeItem: (key) => inTopFrame(area + '.removeItem', [key]),
  key: (index) => inTopFrame(area + '.key', [index]),
  length: () => inTopFrame(area + '.length', []),
  clear: () => inTopFrame(area + '.clear', []),
})
const browserApi = {
  cookie: {
    get: (name) => inTopFrame('cookie.get', [name]),
    set: (cookieOrName, value) => inTopFrame('cookie.set', [cookieOrName, value]),
  },
  localStorage: storage('localStorage'),
  sessionStorage: storage('sessionStorage'),
}
const run = (bus, name, payload) => {
  for (const cb of bus.get(name) || []) {
    try { cb(payload) } catch (e) { self.postMessage({ type: 'error', message: String(e) }) }
  }
}
self.onmessage = (m) => {
  const msg = m.data
  if (msg.type === 'browserResult') {
    const call = pendingTop.get(msg.id)
    pendingTop.delete(msg.id)
    if (call && msg.error) call.reject(new Error(msg.error))
    else if (call) call.resolve(msg.value)
    return
  }
  if (msg.type === 'start') {
    const api = {
      settings: msg.settings,
      init: { context: {}, data: { customer: null, cart: null, shop: { name: 'Example', myshopifyDomain: 'jsmith.myshopify.com' } }, customerPrivacy: msg.customerPrivacy },
      analytics: { subscribe: (name, cb2) => add(subscribers.analytics, name, cb2) },
      customerPrivacy: { subscribe: (name, cb2) => add(subscribers.privacy, name, cb2) },
      browser: browserApi,
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
  // The top frame's side of the standard API's browser methods (see PIXEL_WORKER_JS).
  const topFrame = (method, args) => {
    if (method === 'cookie.get') {
      if (args[0] === undefined) return document.cookie
      const pair = document.cookie.split('; ').find((p) => p.slice(0, p.indexOf('=')) === args[0])
      return pair ? pair.slice(pair.indexOf('=') + 1) : ''
    }
    if (method === 'cookie.set') {
      document.cookie = args[1] === undefined ? args[0] : args[0] + '=' + args[1]
      return document.cookie
    }
    const [area, name] = method.split('.')
    const store = area === 'localStorage' ? localStorage : sessionStorage
    if (name === 'length') return store.length
    return store[name](...args)
  }
  worker.onmessage = (m) => {
    if (m.data.type === 'browser') {
      try {
        worker.postMessage({ type: 'browserResult', id: m.data.id, value: topFrame(m.data.method, m.data.args) })
      } catch (e) {
        worker.postMessage({ type: 'browserResult', id: m.data.id, error: String(e) })
      }
      return
    }
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
