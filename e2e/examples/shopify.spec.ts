// The Shopify example (examples/shopify) end to end: the theme and the app embed block rendered
// with liquidjs, served with emulated storefront endpoints, driven in Chromium against the
// Segment collector and the Klaviyo emulator.
import { join } from 'node:path'
import type { BrowserContext, Page } from '@playwright/test'
import { test as base, expect, anonymousIdOf, COMPANY_ID, LIST_ID, WRITE_KEY, type Stack } from '../support/fixtures'
import { CART_ATTRIBUTE } from '../../src/shopify/cart-bridge'
import { copyAssets, CUSTOMER, EXAMPLE, EXTENSION_CDN, PRODUCT, schemaOf, Shop } from './support/shop'

type Ev = Record<string, any>

const test = base.extend<{ shop: Shop }>({
  shop: async ({ stack }, use) => {
    await use(new Shop(stack.site, { writeKey: WRITE_KEY, companyId: COMPANY_ID, listId: LIST_ID, klaviyoApiBase: stack.klaviyo.url }))
  },
})

// The example's assets are produced by its own copy step, exactly as its README says.
test.beforeAll(() => copyAssets())

const NEWSLETTER_SECTION = 'template--17204592107841__newsletter'

/** A visitor's browser: emulators for third parties, Shopify's extension CDN served locally. */
async function visitor(stack: Stack, shop: Shop): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await stack.device()
  await shop.serveExtensionCdn(context)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource|ERR_BLOCKED_BY_CLIENT/.test(m.text())) errors.push(m.text()) })
  return { context, page, errors }
}

/** A visitor on the shop's home page, once analytics.js has loaded there, with its anonymousId. */
async function atHome(stack: Stack, shop: Shop): Promise<{ context: BrowserContext; page: Page; errors: string[]; anon: string }> {
  const v = await visitor(stack, shop)
  await v.page.goto(stack.site.url + '/')
  return { ...v, anon: await anonymousIdOf(v.page) }
}

/** The app embed points at the emulator instead of a.klaviyo.com (as a test-only attribute). */
function useEmulator(shop: Shop, stack: Stack) {
  const render = shop.render.bind(shop)
  shop.render = async (...args) =>
    (await render(...args))
      .replace(/data-klaviyo-company-id="/g, `data-klaviyo-api-base="${stack.klaviyo.url}" data-klaviyo-company-id="`)
      .replace(/"klaviyoCompanyId":/g, `"klaviyoApiBase":${JSON.stringify(stack.klaviyo.url)},"klaviyoCompanyId":`)
}

/** Fill a newsletter form and submit it: a full-page POST to /contact and the redirect back. */
async function subscribe(page: Page, input: string, button: string, email: string) {
  await page.fill(input, email)
  await Promise.all([page.waitForURL((u) => u.searchParams.get('customer_posted') === 'true'), page.click(button)])
}

/** The identify and the Klaviyo profile a capture must produce. */
async function expectStitched(stack: Stack, email: string, anon: string) {
  const identify = (await stack.collector.waitFor((e: Ev) => e.type === 'identify' && e.traits?.email === email, 15_000)) as Ev
  expect(identify.anonymousId).toBe(anon)
  await expect.poll(() => stack.klaviyo.store.findProfile({ email })?.anonymous_id, { timeout: 15_000 }).toBe(anon)
  expect(stack.klaviyo.store.findProfile({ email })?.properties?.segment_anonymous_id).toBe(anon)
  return identify
}

/** The footer's newsletter form, filled and posted. */
const subscribeInFooter = (page: Page, email: string) => subscribe(page, '#NewsletterForm--footer', '#Subscribe', email)

async function addToCart(page: Page) {
  await page.goto(new URL(`/products/${PRODUCT.handle}`, page.url()).href)
  const before = Number(await page.locator('.cart-count').textContent())
  await page.click('.product-form__submit')
  await expect(page.locator('.cart-count')).toHaveText(String(before + 1))
}

async function checkout(page: Page) {
  await page.goto(new URL('/cart', page.url()).href)
  await Promise.all([page.waitForURL('**/checkouts/thank-you**'), page.click('#checkout')])
}

const bridgeOf = async (shop: Shop, context: BrowserContext) => (await shop.cartOf(context))?.attributes[CART_ATTRIBUTE]

/**
 * The add-on's cart check has run to its end on this page: `mailstitch.shopify.sync()` (its
 * documented "re-check the cart now") resolves once a check, and any write it makes, is done;
 * a check already running is joined, not raced.
 */
const cartChecked = (page: Page) => page.evaluate(() => (window as any).mailstitch.shopify.sync())

/** The SDK's start-up work on this page is done: sending what an earlier page left, a landing. */
const sdkStarted = (page: Page) => page.evaluate(() => (window as any).mailstitch.instance.ready())

test.beforeEach(({ shop, stack }) => useEmulator(shop, stack))

/** mailstitch's inline <script> in rendered HTML (the store's own scripts, such as its privacy stand-in, left out). */
function inlineSnippetOf(html: string): string {
  const script = html.split('<script>').find((part) => part.includes('mailstitch.min.js"'))
  expect(script).toBeDefined()
  return script!.slice(0, script!.indexOf('</script>'))
}

test('the app embed block: schema targets head with the documented settings; renders no email, only customer.id', async ({ shop, stack }) => {
  const schema = schemaOf(join(EXAMPLE, 'extensions/mailstitch/blocks/mailstitch.liquid'))
  expect(schema.target).toBe('head')
  expect(schema.settings?.map((s) => s.id)).toEqual(expect.arrayContaining(['klaviyo_public_key', 'klaviyo_list_id', 'link_param', 'consent_mode', 'debug']))
  const url = new URL(stack.site.url + '/')
  const anon = await shop.render('index', { url, customer: null, cart: undefined })
  const head = anon.slice(0, anon.indexOf('</head>'))
  // Order in <head>: the Segment snippet, then mailstitch's inline snippet (no parser-blocking tag), then the Shopify add-on.
  const seg = head.indexOf('analytics.load('), ms = head.indexOf(JSON.stringify(EXTENSION_CDN + 'mailstitch.min.js')), add = head.indexOf(EXTENSION_CDN + 'mailstitch-shopify.min.js')
  expect(seg).toBeGreaterThan(0)
  expect(ms).toBeGreaterThan(seg)
  expect(add).toBeGreaterThan(ms)
  expect(head).not.toContain(`src="${EXTENSION_CDN}mailstitch.min.js`)
  expect(head).toContain(`"klaviyoCompanyId":"${COMPANY_ID}"`)
  expect(head).toContain(`"klaviyoListId":"${LIST_ID}"`)
  expect(head).toContain('"consent":"shopify"')
  // Options at their default are not printed; the consent mode picks the snippet's parts.
  expect(head).not.toContain('"linkParam"')
  expect(head).not.toContain('"externalId"')
  // Consent mode 'shopify': the snippet holds the landing's events for the core's decision; it never adopts itself.
  const inline = inlineSnippetOf(head)
  expect(inline).toContain('addSourceMiddleware')
  expect(inline).not.toContain('setAnonymousId')
  expect(head).not.toContain('data-customer-id')
  expect(head).not.toContain('data-debug')

  const loggedIn = await shop.render('index', { url, customer: CUSTOMER, cart: undefined })
  expect(loggedIn).toContain(`data-customer-id="${CUSTOMER.id}"`)
  expect(loggedIn).not.toContain(CUSTOMER.email)

  shop.install = { kind: 'app-embed', settings: { consent_mode: 'none', debug: true, link_param: 'ref', klaviyo_list_id: '', external_id: 'anonymousId' } }
  const custom = await shop.render('index', { url, customer: null, cart: undefined })
  expect(custom).not.toContain('data-consent=')
  expect(custom).not.toContain('"consent":')
  const customInline = inlineSnippetOf(custom)
  expect(customInline).not.toContain('addSourceMiddleware')
  expect(customInline).toContain('setAnonymousId')
  expect(custom).toContain('"externalId":"anonymousId"')
  expect(custom).toContain('"debug":"true"')
  expect(custom).toContain('"linkParam":"ref"')
  expect(custom).not.toContain('klaviyoListId')

  shop.install = { kind: 'app-embed', settings: { klaviyo_public_key: '  ' } }
  expect(await shop.render('index', { url, customer: null, cart: undefined })).not.toContain('mailstitch.min.js')
})

test('two newsletter forms on one page (section + footer): both captured across the full-page POST', async ({ shop, stack }) => {
  const { page, errors, anon } = await atHome(stack, shop)
  await subscribe(page, `#NewsletterForm--${NEWSLETTER_SECTION}`, `#Subscribe-${NEWSLETTER_SECTION}`, ' Grace@Example.com ')
  await expect(page.locator('#ContactForm-newsletter-success')).toBeVisible()
  await subscribeInFooter(page, 'linus@example.com')
  await expectStitched(stack, 'grace@example.com', anon)
  await expectStitched(stack, 'linus@example.com', anon)
  // Shopify received exactly what the shopper typed, from each form.
  expect(stack.site.posts.map((p) => [p.get('form_type'), p.get('contact[email]'), p.get('contact[tags]')])).toEqual([
    ['customer', 'Grace@Example.com', 'newsletter'], // type=email trims what was typed
    ['customer', 'linus@example.com', 'newsletter'],
  ])
  // Email Captured follows the identify (analytics.js sends them one after the other): wait for both.
  for (const formId of ['ContactForm-newsletter', 'ContactFooter']) await stack.collector.waitFor((e: Ev) => e.event === 'Email Captured' && e.properties?.form_id === formId, 15_000)
  const captured = stack.collector.events().filter((e: Ev) => e.event === 'Email Captured')
  expect(captured.map((e: Ev) => [e.properties.source, e.properties.form_id])).toEqual(
    expect.arrayContaining([['shopify-customer-form', 'ContactForm-newsletter'], ['shopify-customer-form', 'ContactFooter']]),
  )
  expect(errors).toEqual([])
})

test('a form inside a section re-rendered by the Section Rendering API is captured', async ({ shop, stack }) => {
  const { page, anon } = await atHome(stack, shop)
  await page.evaluate(() => document.querySelector('.newsletter')!.setAttribute('data-old', '1'))
  await page.evaluate((id) => (window as any).theme.renderSections([id]), NEWSLETTER_SECTION)
  await expect(page.locator('.newsletter[data-old]')).toHaveCount(0) // the section's HTML was replaced
  await expect(page.locator(`#shopify-section-${NEWSLETTER_SECTION} form`)).toHaveCount(1)
  await subscribe(page, `#NewsletterForm--${NEWSLETTER_SECTION}`, `#Subscribe-${NEWSLETTER_SECTION}`, 'rerender@example.com')
  await expectStitched(stack, 'rerender@example.com', anon)
})

test('no cart yet: no cart update; add to cart writes the bridge id; the order placed after carries it', async ({ shop, stack }) => {
  const { context, page, errors, anon } = await atHome(stack, shop)
  await subscribeInFooter(page, 'buyer@example.com')
  await expectStitched(stack, 'buyer@example.com', anon)
  expect(await page.evaluate(() => (window as any).mailstitch.instance.linkParams())).toEqual({ mst: anon })
  // The bridge, holding the id now, read /cart.js (no cart yet) and must not create one.
  await expect.poll(() => shop.reads.filter((r) => r.items === 0).length, { timeout: 10_000 }).toBeGreaterThan(0)
  await cartChecked(page)
  expect(shop.updates).toEqual([])
  expect(await shop.cartOf(context)).toBeUndefined()

  await addToCart(page) // the theme's fetch to /cart/add
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBe(anon)
  await page.reload()
  await addToCart(page)
  // The theme's cart bubble and the bridge each read the two-item cart; the bridge found its id there.
  await expect.poll(() => shop.reads.filter((r) => r.items === 2 && r.attributes[CART_ATTRIBUTE] === anon).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
  await cartChecked(page)
  expect(shop.updates.filter((u) => u.status === 200)).toHaveLength(1) // written once, not on every change

  await checkout(page)
  expect(shop.orders).toHaveLength(1)
  expect(shop.orders[0]!.note_attributes).toEqual([{ name: CART_ATTRIBUTE, value: anon }])
  expect(errors).toEqual([])
})

test('quick add by XMLHttpRequest after the capture writes the bridge id; a cart that existed before gets it on the next page', async ({ shop, stack }) => {
  // Cart first (no bridge id yet: nothing written), capture after: the reload writes it.
  const first = await atHome(stack, shop)
  const a = first.anon
  await first.page.click(`#QuickAdd-template--17204592107841__featured_product`)
  await expect(first.page.locator('.cart-count')).toHaveText('1')
  await cartChecked(first.page)
  expect(shop.updates).toEqual([])
  await subscribeInFooter(first.page, 'early-cart@example.com')
  await expect.poll(() => bridgeOf(shop, first.context), { timeout: 10_000 }).toBe(a)

  // Capture first, then the theme's XHR quick add.
  const second = await atHome(stack, shop)
  const b = second.anon
  await subscribeInFooter(second.page, 'xhr@example.com')
  await expectStitched(stack, 'xhr@example.com', b)
  await second.page.click(`#QuickAdd-template--17204592107841__featured_product`)
  await expect.poll(() => bridgeOf(shop, second.context), { timeout: 10_000 }).toBe(b)
  expect(first.errors.concat(second.errors)).toEqual([])
})

test('/cart/update.js answering 5xx: retried until accepted; 4xx: bounded attempts, no page errors, the next cart change tries again', async ({ shop, stack }) => {
  shop.failUpdates(500, 503)
  const one = await atHome(stack, shop)
  const a = one.anon
  await subscribeInFooter(one.page, 'flaky@example.com')
  await addToCart(one.page)
  await expect.poll(() => bridgeOf(shop, one.context), { timeout: 15_000 }).toBe(a)
  expect(shop.updates.map((u) => u.status)).toEqual([500, 503, 200])

  shop.updates.length = 0
  const readsBefore = shop.reads.length
  shop.failUpdates(422, 422, 422)
  const two = await atHome(stack, shop)
  const b = two.anon
  await subscribeInFooter(two.page, 'refused@example.com')
  await addToCart(two.page)
  await expect.poll(() => shop.updates.length, { timeout: 15_000 }).toBe(3)
  // The page still works, and the next cart change (a theme announcing it) tries again.
  await two.page.evaluate(() => document.dispatchEvent(new CustomEvent('cart:updated')))
  await expect.poll(() => bridgeOf(shop, two.context), { timeout: 15_000 }).toBe(b)
  expect(shop.updates.map((u) => u.status)).toEqual([422, 422, 422, 200])
  // Gave up after three attempts: before the fourth write the bridge read the cart afresh (a new
  // check, not a retry), and the cart held no id then.
  const fresh = shop.reads.slice(readsBefore).filter((r) => r.updatesBefore === 3)
  expect(fresh.length).toBeGreaterThan(0)
  expect(fresh.map((r) => r.attributes[CART_ATTRIBUTE])).toEqual(fresh.map(() => undefined))
  expect(one.errors.concat(two.errors)).toEqual([])
})

test('Customer Privacy API missing: nothing stored or sent, the form still posts, the cart is untouched', async ({ shop, stack }) => {
  shop.privacy = { mode: 'missing', delayMs: 0, initial: null }
  const { context, page, errors } = await atHome(stack, shop)
  await subscribeInFooter(page, 'noapi@example.com')
  expect(stack.site.posts.at(-1)?.get('contact[email]')).toBe('noapi@example.com')
  await addToCart(page)
  // This page's SDK has started (it would send what the form's page left) and the bridge has checked the cart.
  await sdkStarted(page)
  await cartChecked(page)
  expect(stack.klaviyo.requests()).toEqual([])
  expect(stack.collector.events().filter((e: Ev) => e.type === 'identify' || /^Email /.test(e.event ?? ''))).toEqual([])
  expect(shop.updates).toEqual([])
  expect((await context.cookies()).map((c) => c.name)).not.toContain('mst_state')
  expect(await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('mailstitch:')))).toEqual([])
  expect(errors).toEqual([])
})

test('Customer Privacy API slow to load: nothing before it answers, everything after', async ({ shop, stack }) => {
  // On this first page the API loads only when the test says so.
  shop.privacy = { mode: 'present', delayMs: null, initial: { analytics: true, marketing: true } }
  const { context, page, anon } = await atHome(stack, shop)
  const asked = await page.evaluate(() => (window as any).__privacyAsked as number)
  // A capture asked for while the API is still loading waits for the answer, then proceeds.
  await page.evaluate(() => {
    const w = window as any
    w.__slow = w.mailstitch.instance.capture('slow@example.com', { source: 'test' }).then((r: unknown) => (w.__slowSettled = true, r))
  })
  // The capture has asked the Customer Privacy API and waits for it: nothing sent, not settled.
  await expect.poll(() => page.evaluate(() => (window as any).__privacyAsked as number)).toBeGreaterThan(asked)
  expect(stack.klaviyo.requests()).toEqual([])
  expect(stack.collector.events().some((e: Ev) => e.traits?.email === 'slow@example.com')).toBe(false)
  expect(await page.evaluate(() => (window as any).__slowSettled)).toBeUndefined()
  await page.evaluate(() => (window as any).__privacyLoad())
  expect(await page.evaluate(() => (window as any).__slow)).toEqual({ ok: true, email: 'slow@example.com', anonymousId: anon })
  await expectStitched(stack, 'slow@example.com', anon)
  shop.privacy = { ...shop.privacy, delayMs: 2500 } // later pages: slow, on their own
  await addToCart(page)
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBe(anon)
})

test('consent: nothing before the banner is answered, resumes when given, stops and clears the cart when withdrawn', async ({ shop, stack }) => {
  shop.privacy = { mode: 'present', delayMs: 50, initial: null } // the visitor has not decided yet
  const { context, page, errors, anon } = await atHome(stack, shop)
  await subscribeInFooter(page, 'undecided@example.com')
  await sdkStarted(page) // the page after the post would send what the form's page left
  expect(stack.klaviyo.requests()).toEqual([])

  // The banner: accept.
  await page.evaluate(() => (window as any).__privacyBanner(true, true))
  await subscribeInFooter(page, 'given@example.com')
  await expectStitched(stack, 'given@example.com', anon)
  await addToCart(page)
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBe(anon)

  // Mid-session the visitor withdraws: the id leaves the cart and nothing more is sent.
  await page.evaluate(() => (window as any).__privacyBanner(false, false))
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBeUndefined()
  expect((await context.cookies()).map((c) => c.name)).not.toContain('mst_state')
  const sent = stack.klaviyo.requests().length
  await subscribeInFooter(page, 'withdrawn@example.com')
  await addToCart(page)
  await sdkStarted(page)
  await cartChecked(page)
  expect(stack.klaviyo.requests()).toHaveLength(sent)
  expect(stack.collector.events().some((e: Ev) => e.traits?.email === 'withdrawn@example.com')).toBe(false)
  await checkout(page)
  expect(shop.orders[0]!.note_attributes).toEqual([])
  expect(errors).toEqual([])
})

test('logged-in customer: identified by customer.id, Klaviyo external_id = customer id, the order carries both', async ({ shop, stack }) => {
  shop.install = { kind: 'app-embed', settings: { debug: true } } // the add-on says what it decided
  const { context, page, errors } = await visitor(stack, shop)
  await shop.logIn(context)
  await page.goto(stack.site.url + '/')
  const anon = await anonymousIdOf(page)
  expect(await page.content()).not.toContain(CUSTOMER.email) // never in the HTML
  const who = (await stack.collector.waitFor((e: Ev) => e.type === 'identify' && e.userId === String(CUSTOMER.id), 15_000)) as Ev
  expect(who.anonymousId).toBe(anon)
  await subscribeInFooter(page, CUSTOMER.email)
  const identify = await expectStitched(stack, CUSTOMER.email, anon)
  expect(identify.userId).toBe(String(CUSTOMER.id))
  expect(stack.klaviyo.store.findProfile({ email: CUSTOMER.email })?.external_id).toBe(String(CUSTOMER.id))
  // Identified once: later pages do not identify the customer again.
  const decided = page.waitForEvent('console', (m) => m.text().includes('customer: Segment already has userId'))
  await page.reload()
  await anonymousIdOf(page)
  await decided
  expect(stack.collector.events().filter((e: Ev) => e.type === 'identify' && !e.traits?.email)).toHaveLength(1)
  await addToCart(page)
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBe(anon)
  await checkout(page)
  expect(shop.orders[0]!.customer).toEqual({ id: CUSTOMER.id })
  expect(shop.orders[0]!.note_attributes).toEqual([{ name: CART_ATTRIBUTE, value: anon }])
  expect(errors).toEqual([])
})

test('an email click on another device: that device\'s cart and order carry the same bridge id', async ({ shop, stack }) => {
  const laptop = await atHome(stack, shop)
  const a = laptop.anon
  await subscribeInFooter(laptop.page, 'two-devices@example.com')
  await expectStitched(stack, 'two-devices@example.com', a)
  const link = await laptop.page.evaluate(() => new URLSearchParams((window as any).mailstitch.instance.linkParams()).toString())
  expect(link).toBe(`mst=${a}`)

  const phone = await visitor(stack, shop)
  await phone.page.goto(`${stack.site.url}/products/${PRODUCT.handle}?utm_source=klaviyo&${link}`)
  expect(phone.page.url()).not.toContain('mst=')
  expect(await anonymousIdOf(phone.page)).toBe(a)
  await phone.page.click('.product-form__submit')
  await expect.poll(() => bridgeOf(shop, phone.context), { timeout: 10_000 }).toBe(a)
  await checkout(phone.page)
  expect(shop.orders[0]!.note_attributes).toEqual([{ name: CART_ATTRIBUTE, value: a }])
})

/**
 * What Safari's tracking prevention leaves after 7 days without a visit (shared/research/itp.md):
 * every cookie a script wrote and all localStorage are gone; the store's server-set `cart` cookie
 * stays. The browser context keeps only that cookie.
 */
async function purgeScriptWrittenStorage(context: BrowserContext, page: Page) {
  await page.evaluate(() => localStorage.clear())
  const kept = (await context.cookies()).filter((c) => c.name === 'cart')
  expect(kept).toHaveLength(1)
  await context.clearCookies()
  await context.addCookies(kept)
  await page.close()
}

const linkedEvents = (stack: Stack) => stack.collector.events().filter((e: Ev) => e.event === 'Visitor Linked')

test('a purged browser returning direct: the cart keeps its bridge id, and the new browser id is linked to it once', async ({ shop, stack }) => {
  const { context, page, errors, anon } = await atHome(stack, shop)
  await subscribeInFooter(page, 'purged@example.com')
  await expectStitched(stack, 'purged@example.com', anon)
  await addToCart(page)
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBe(anon)
  await purgeScriptWrittenStorage(context, page)

  // Days later, straight to the store: a new Segment anonymousId, no mailstitch state.
  const back = await context.newPage()
  back.on('pageerror', (e) => errors.push(String(e)))
  await back.goto(stack.site.url + '/')
  const fresh = await anonymousIdOf(back)
  expect(fresh).not.toBe(anon)
  expect(await back.evaluate(() => (window as any).mailstitch.instance.linkParams())).toEqual({})
  const linked = (await stack.collector.waitFor((e: Ev) => e.event === 'Visitor Linked', 15_000)) as Ev
  expect(linked).toMatchObject({ anonymousId: fresh, properties: { bridge_id: anon, source: 'cart' } })

  // The cart was read but not overwritten, and a later page (and cart change) links nothing more.
  await cartChecked(back)
  const updatesBefore = shop.updates.length
  await addToCart(back)
  await back.reload()
  // The positive signal first: this browser's three page views (home, product, the reload) arrived.
  await expect.poll(() => stack.collector.events().filter((e: Ev) => e.type === 'page' && e.anonymousId === fresh).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3)
  await cartChecked(back)
  expect(shop.updates.length).toBe(updatesBefore)
  expect(await bridgeOf(shop, context)).toBe(anon)
  expect(linkedEvents(stack)).toHaveLength(1)

  // The order still names the email visitor.
  await checkout(back)
  expect(shop.orders[0]!.note_attributes).toEqual([{ name: CART_ATTRIBUTE, value: anon }])
  expect(errors).toEqual([])
})

test('a purged browser returning through an email click adopts the bridge id: nothing to link, the cart is kept', async ({ shop, stack }) => {
  const { context, page, anon } = await atHome(stack, shop)
  await subscribeInFooter(page, 'purged-click@example.com')
  await expectStitched(stack, 'purged-click@example.com', anon)
  await addToCart(page)
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBe(anon)
  await purgeScriptWrittenStorage(context, page)
  // mailstitch.min.js arrives late (a slow CDN answer): the add-on reads the cart, and analytics.js
  // is up, before the landing is decided. The link must wait for that decision, not race it.
  let coreServed = false
  await context.route(`${EXTENSION_CDN}mailstitch.min.js*`, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500))
    coreServed = true
    await route.fallback()
  })

  const back = await context.newPage()
  await back.goto(`${stack.site.url}/products/${PRODUCT.handle}?utm_source=klaviyo&mst=${anon}`)
  expect(await anonymousIdOf(back)).toBe(anon)
  expect(coreServed).toBe(true)
  await stack.collector.waitFor((e: Ev) => e.event === 'Email Link Landed' && e.anonymousId === anon, 15_000)
  await cartChecked(back)
  expect(linkedEvents(stack)).toEqual([])
  expect(await bridgeOf(shop, context)).toBe(anon)
})

test('classic install: snippets/mailstitch.liquid rendered from theme.liquid works the same way', async ({ shop, stack }) => {
  shop.install = { kind: 'snippet' }
  const { context, page, errors } = await visitor(stack, shop)
  await page.goto(stack.site.url + '/')
  const html = await page.content()
  expect(html).toMatch(/<script src="\/cdn\/shop\/t\/12\/assets\/mailstitch\.min\.js\?v=\d+"/)
  expect(html).toContain('data-consent="shopify"')
  const anon = await anonymousIdOf(page)
  await subscribe(page, `#NewsletterForm--${NEWSLETTER_SECTION}`, `#Subscribe-${NEWSLETTER_SECTION}`, 'classic@example.com')
  await expectStitched(stack, 'classic@example.com', anon)
  await addToCart(page)
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBe(anon)
  expect(errors).toEqual([])
})

test('app embed and the classic snippet both present: one instance, one capture, one cart write', async ({ shop, stack }) => {
  shop.install = { kind: 'app-embed' }
  shop.themeSettings = { mailstitch_klaviyo_public_key: COMPANY_ID }
  const { context, page } = await visitor(stack, shop)
  await page.goto(stack.site.url + '/')
  // Two inline snippets, so two cores added (the second stays idle: one instance).
  expect((await page.content()).match(/<script src="[^"]*mailstitch\.min\.js/g)).toHaveLength(2)
  const anon = await anonymousIdOf(page)
  await subscribeInFooter(page, 'twice@example.com')
  await expectStitched(stack, 'twice@example.com', anon)
  await addToCart(page)
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBe(anon)
  await sdkStarted(page)
  await cartChecked(page)
  expect(stack.collector.events().filter((e: Ev) => e.type === 'identify')).toHaveLength(1)
  expect(stack.klaviyo.requests().filter((r: Ev) => r.path.startsWith('/client/profiles'))).toHaveLength(1)
  expect(shop.updates.filter((u) => u.status === 200)).toHaveLength(1)
})

test('a Klaviyo onsite form on the theme: captured without a reload, and an existing cart gets the bridge id at once', async ({ shop, stack }) => {
  const { context, page, errors, anon } = await atHome(stack, shop)
  await page.click('#QuickAdd-template--17204592107841__featured_product')
  await expect(page.locator('.cart-count')).toHaveText('1')
  await cartChecked(page)
  expect(shop.updates).toEqual([]) // a cart, but no bridge id yet
  await page.evaluate(() =>
    window.dispatchEvent(new CustomEvent('klaviyoForms', { detail: { type: 'submit', formId: 'RkX2aB', formVersionId: 4812345, metaData: { $email: 'popup@example.com', $source: 'Flyout' } } })),
  )
  await expectStitched(stack, 'popup@example.com', anon)
  await expect.poll(() => bridgeOf(shop, context), { timeout: 10_000 }).toBe(anon)
  expect(errors).toEqual([])
})
