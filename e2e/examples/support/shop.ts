// A Shopify storefront on the e2e site: the example theme and app embed (examples/shopify)
// rendered with liquidjs and realistic values, Shopify's Liquid tags that liquidjs lacks
// (`form`, `section`, `schema`), content_for_header with a stand-in Customer Privacy API, and
// the storefront endpoints a theme talks to: /cart.js, /cart/add(.js), /cart/update.js, the
// Section Rendering API, /contact (the site's own), checkout (the "order" is the cart at
// checkout time, its attributes as the order's note_attributes).
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Hash, Liquid, Tag, type Context, type Emitter, type Parser, type TagToken, type Template, type TopLevelToken } from 'liquidjs'
import type { BrowserContext } from '@playwright/test'
import type { RouteRequest, RouteResponse, Site } from '../../support/site'

export const EXAMPLE = resolve(import.meta.dirname, '../../../examples/shopify')
const THEME = join(EXAMPLE, 'theme')
const EXTENSION = join(EXAMPLE, 'extensions/mailstitch')
/** Where Shopify serves a theme app extension's assets from (another origin than the shop). */
export const EXTENSION_CDN = 'https://cdn.shopify.com/extensions/0197a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b/1.0.0/assets/'
/** Where Shopify serves theme assets from (the shop's own domain). */
const THEME_ASSETS = '/cdn/shop/t/12/assets/'
/** Template ids as Shopify numbers them in section ids (`template--<id>__<key>`). */
const TEMPLATE_IDS: Record<string, string> = { index: '17204592107841', product: '17204592140609', cart: '17204591943233' }

/** Copy dist/ into the example's asset folders with the example's own script (as its README says). */
export function copyAssets(): void {
  execFileSync(process.execPath, [join(EXAMPLE, 'scripts/copy-assets.mjs')], { stdio: 'pipe' })
}

// ---------------------------------------------------------------------------------------------
// Liquid

type Settings = Record<string, unknown>
type SchemaSetting = { id?: string; default?: unknown }

/** The `{% schema %}` JSON of a Liquid file. */
export function schemaOf(file: string): { name: string; target?: string; settings?: SchemaSetting[] } {
  const m = /{%-?\s*schema\s*-?%}([\s\S]*?){%-?\s*endschema\s*-?%}/.exec(readFileSync(file, 'utf8'))
  if (!m) throw new Error(`no schema in ${file}`)
  return JSON.parse(m[1]!)
}

/** Defaults of a settings list (section/block schema or settings_schema.json groups). */
function defaults(settings: SchemaSetting[] = []): Settings {
  return Object.fromEntries(settings.filter((s) => s.id).map((s) => [s.id!, s.default ?? null]))
}

const escapeAttr = (v: unknown) => String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/** Swallows `{% schema %}`, `{% javascript %}`, `{% stylesheet %}` bodies, as Shopify does at render time. */
function rawBlock(end: string) {
  return class extends Tag {
    constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
      super(token, remain, liquid)
      while (remain.length) {
        const t = remain.shift()!
        if ((t as TagToken).name === end) return
      }
      throw new Error(`${token.name} not closed`)
    }
    *render(): Generator<unknown, void, unknown> {}
  }
}

/**
 * Shopify's `{% form 'customer', id: …, class: … %}` and `{% form 'product', product, … %}`:
 * the opening tag with the hidden `form_type` and `utf8` inputs, a `form` object in scope.
 */
class FormTag extends Tag {
  private type: string
  private hash: Hash
  private templates: Template[] = []
  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid, parser: Parser) {
    super(token, remain, liquid)
    const m = /^\s*(['"])([\w-]+)\1\s*(?:,\s*([A-Za-z_][\w.]*)\s*(?=,|$))?/.exec(token.args)
    if (!m) throw new Error(`form: cannot parse ${token.args}`)
    this.type = m[2]!
    this.hash = new Hash(token.args.slice(m[0].length).replace(/^\s*,/, ''))
    const stream = parser
      .parseStream(remain)
      .on('tag:endform', () => stream.stop())
      .on('template', (t: Template) => void this.templates.push(t))
      .on('end', () => {
        throw new Error('form not closed')
      })
    stream.start()
  }
  *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
    const attrs = (yield this.hash.render(ctx)) as Record<string, unknown>
    const root = String(ctx.getSync(['routes', 'root_url']) ?? '/').replace(/\/$/, '')
    const posted = ctx.getSync(['request', 'customer_posted']) === true
    const action = this.type === 'product' ? `${root}/cart/add` : `${root}/contact${attrs.id ? '#' + attrs.id : ''}`
    const { id, ...rest } = attrs
    const all: Record<string, unknown> = { method: 'post', action, id, 'accept-charset': 'UTF-8', ...rest, ...(this.type === 'product' ? { enctype: 'multipart/form-data' } : {}) }
    const html = Object.entries(all)
      .filter(([, v]) => v != null && v !== '')
      .map(([k, v]) => `${k}="${escapeAttr(v)}"`)
      .join(' ')
    emitter.write(`<form ${html}><input type="hidden" name="form_type" value="${this.type}" /><input type="hidden" name="utf8" value="✓" />`)
    ctx.push({ form: { 'posted_successfully?': posted && this.type === 'customer', errors: null, email: '' } })
    yield this.liquid.renderer.renderTemplates(this.templates, ctx, emitter)
    ctx.pop()
    emitter.write('</form>')
  }
}

/** A Liquid engine for one folder (theme or extension), with Shopify's tags and filters. */
function engine(dir: string, assetBase: string, sections: (id: string, ctx: Context) => Promise<string>): Liquid {
  const liquid = new Liquid({ root: [join(dir, 'layout'), join(dir, 'blocks')], partials: [join(dir, 'snippets')], extname: '.liquid', strictFilters: true, cache: false })
  liquid.registerTag('form', FormTag)
  liquid.registerTag('schema', rawBlock('endschema'))
  liquid.registerTag('javascript', rawBlock('endjavascript'))
  liquid.registerTag('stylesheet', rawBlock('endstylesheet'))
  liquid.registerTag(
    'section',
    class extends Tag {
      private file: string
      constructor(token: TagToken, remain: TopLevelToken[], l: Liquid) {
        super(token, remain, l)
        this.file = token.args.trim().replace(/^['"]|['"]$/g, '')
      }
      *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
        emitter.write((yield sections(this.file, ctx)) as string)
      }
    },
  )
  liquid.registerFilter('asset_url', (file: string) => assetBase + file + (assetBase.startsWith('/') ? '?v=1732838400' : ''))
  liquid.registerFilter('money', (cents: number) => `$${(Number(cents) / 100).toFixed(2)}`)
  return liquid
}

// ---------------------------------------------------------------------------------------------
// Store state

export interface Customer { id: number; email: string; first_name: string; last_name: string }
interface Variant { id: number; title: string; price: number }
interface Product { id: number; handle: string; title: string; variants: Variant[] }
interface LineItem { id: number; variant_id: number; product_id: number; key: string; title: string; handle: string; quantity: number; price: number; line_price: number }
interface Cart { token: string; note: string | null; attributes: Record<string, string>; items: LineItem[] }

/** An order as Shopify's `orders/create` webhook carries it (the fields mailstitch cares about). */
export interface Order {
  id: number
  name: string
  cart_token: string
  note: string | null
  note_attributes: { name: string; value: string }[]
  customer: { id: number } | null
  line_items: { variant_id: number; quantity: number; title: string; price: string }[]
  total_price: string
  currency: string
}

/** A `POST /cart/update.js` as the store received it. */
export interface CartUpdate { status: number; attributes?: Record<string, string>; cart?: string }

/** A `GET /cart.js` as the store answered it: the cart then, and how many updates had come before it. */
export interface CartRead { items: number; attributes: Record<string, string>; updatesBefore: number }

/** The stand-in Customer Privacy API: missing entirely, or present and answering after `delayMs`. */
export interface PrivacyStandIn {
  /** `missing`: no `Shopify.loadFeatures`, no `customerPrivacy` (an old theme, a blocked script). */
  mode: 'present' | 'missing'
  /**
   * How long `loadFeatures('consent-tracking-api')` takes to call back; `null`: until the test
   * calls `window.__privacyLoad()` (a load as slow as the test needs, with no clock involved).
   */
  delayMs: number | null
  /** The visitor's choice when none is stored yet; `null` = not decided (nothing allowed). */
  initial: { analytics: boolean; marketing: boolean } | null
}

/** How mailstitch is installed in the rendered theme. */
export type Install =
  | { kind: 'app-embed'; settings?: Settings }
  | { kind: 'snippet'; settings?: Settings }
  | { kind: 'none' }

export const PRODUCT: Product = { id: 8123456789012, handle: 'stitched-tee', title: 'Stitched Tee', variants: [{ id: 44123456789012, title: 'M', price: 2500 }] }
export const CUSTOMER: Customer = { id: 7012345678901, email: 'ada.customer@example.com', first_name: 'Ada', last_name: 'Lovelace' }

const token = () => 'hWN' + randomBytes(12).toString('hex') + '?key=' + randomBytes(8).toString('hex')
const cookieOf = (req: RouteRequest, name: string): string => {
  const raw = String(req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(name + '='))
  return raw ? decodeURIComponent(raw.slice(name.length + 1)) : ''
}

/** The store: its theme, install, privacy stand-in, carts and orders, served on a {@link Site}. */
export class Shop {
  install: Install = { kind: 'app-embed' }
  privacy: PrivacyStandIn = { mode: 'present', delayMs: 50, initial: { analytics: true, marketing: true } }
  /** Theme setting overrides (settings_schema.json defaults apply underneath). */
  themeSettings: Settings = {}
  readonly carts = new Map<string, Cart>()
  readonly orders: Order[] = []
  readonly updates: CartUpdate[] = []
  readonly reads: CartRead[] = []
  readonly customers = new Map<number, Customer>([[CUSTOMER.id, CUSTOMER]])
  /** Statuses the next `/cart/update.js` calls answer with (then back to normal). */
  private updateFaults: number[] = []
  private theme: Liquid
  private extension: Liquid

  constructor(private site: Site, private cfg: { writeKey: string; companyId: string; listId?: string; klaviyoApiBase: string }) {
    this.theme = engine(THEME, THEME_ASSETS, (name, ctx) => this.section(name, name, undefined, ctx.getAll() as Settings))
    this.extension = engine(EXTENSION, EXTENSION_CDN, async () => '')
    this.mount()
  }

  /** Answer the next update calls with these statuses (e.g. `[500, 503]`, `[422, 422, 422]`). */
  failUpdates(...statuses: number[]): void {
    this.updateFaults.push(...statuses)
  }

  /** The cart a browser context holds (by its `cart` cookie). */
  async cartOf(context: BrowserContext): Promise<Cart | undefined> {
    const c = (await context.cookies(this.site.url)).find((x) => x.name === 'cart')
    return c ? this.carts.get(decodeURIComponent(c.value)) : undefined
  }

  /** Log a customer in on this context (Shopify's session cookie, emulated). */
  async logIn(context: BrowserContext, customer: Customer = CUSTOMER): Promise<void> {
    await context.addCookies([{ name: 'standin_customer', value: String(customer.id), url: this.site.url }])
  }

  /** Serve the extension's assets from Shopify's extension CDN (another origin) on this context. */
  async serveExtensionCdn(context: BrowserContext): Promise<void> {
    await context.route(EXTENSION_CDN + '**', (route) => {
      const file = new URL(route.request().url()).pathname.split('/').pop()!
      try {
        return route.fulfill({ body: readFileSync(join(EXTENSION, 'assets', file)), contentType: 'application/javascript', headers: { 'access-control-allow-origin': '*' } })
      } catch {
        return route.fulfill({ status: 404 })
      }
    })
  }

  /** The HTML of a storefront page, exactly as rendered for a visitor. */
  async render(template: 'index' | 'product' | 'cart', req: { url: URL; customer: Customer | null; cart: Cart | undefined }): Promise<string> {
    const scope = this.scope(template, req)
    const tpl = JSON.parse(readFileSync(join(THEME, 'templates', template + '.json'), 'utf8')) as { sections: Record<string, { type: string; settings?: Settings }>; order: string[] }
    const parts: string[] = []
    for (const key of tpl.order) {
      const s = tpl.sections[key]!
      parts.push(await this.section(`template--${TEMPLATE_IDS[template]}__${key}`, s.type, s.settings, scope))
    }
    let html = await this.theme.renderFile('theme', { ...scope, content_for_layout: parts.join('\n') })
    if (this.install.kind === 'app-embed') {
      // Shopify renders enabled app embeds that target `head` just before </head>.
      const block = { id: 'AbCdEf', type: 'shopify://apps/mailstitch/blocks/mailstitch/0197a3c4', settings: this.embedSettings() }
      const embed = await this.extension.renderFile('mailstitch', { ...scope, block })
      html = html.replace('</head>', embed + '\n</head>')
    }
    return html
  }

  /** The app embed's settings: schema defaults, then the merchant's values. */
  embedSettings(): Settings {
    const s = this.install.kind === 'app-embed' ? this.install.settings : undefined
    return { ...defaults(schemaOf(join(EXTENSION, 'blocks/mailstitch.liquid')).settings), klaviyo_public_key: this.cfg.companyId, klaviyo_list_id: this.cfg.listId ?? '', ...s }
  }

  /** One section by id, wrapped as Shopify wraps it. */
  private async section(id: string, type: string, settings: Settings | undefined, scope: Settings): Promise<string> {
    const file = join(THEME, 'sections', type + '.liquid')
    const section = { id, settings: { ...defaults(schemaOf(file).settings), ...settings } }
    const inner = await this.theme.parseAndRender(readFileSync(file, 'utf8'), { ...scope, section })
    return `<div id="shopify-section-${id}" class="shopify-section">${inner}</div>`
  }

  private scope(template: string, req: { url: URL; customer: Customer | null; cart: Cart | undefined }): Settings {
    const groups = JSON.parse(readFileSync(join(THEME, 'config/settings_schema.json'), 'utf8')) as { settings?: SchemaSetting[] }[]
    const settings: Settings = { ...Object.assign({}, ...groups.map((g) => defaults(g.settings))), segment_write_key: this.cfg.writeKey, ...this.themeSettings }
    if (this.install.kind === 'snippet') Object.assign(settings, { mailstitch_klaviyo_public_key: this.cfg.companyId, mailstitch_klaviyo_list_id: this.cfg.listId ?? '' }, this.install.settings)
    const cart = req.cart
    const product = { ...PRODUCT, selected_or_first_available_variant: PRODUCT.variants[0], price: PRODUCT.variants[0]!.price }
    return {
      shop: { name: 'Stitch & Co', permanent_domain: 'stitch-and-co.myshopify.com', currency: 'USD', url: this.site.url },
      customer: req.customer ? { ...req.customer, name: `${req.customer.first_name} ${req.customer.last_name}` } : null,
      routes: { root_url: '/', cart_url: '/cart', cart_add_url: '/cart/add', cart_change_url: '/cart/change', cart_update_url: '/cart/update', account_url: '/account', account_login_url: '/account/login' },
      request: { locale: { iso_code: 'en' }, path: req.url.pathname, customer_posted: req.url.searchParams.get('customer_posted') === 'true' },
      canonical_url: this.site.url + req.url.pathname,
      page_title: template === 'product' ? PRODUCT.title : template === 'cart' ? 'Your cart' : 'Stitch & Co',
      template: { name: template },
      settings,
      product,
      cart: { item_count: cart ? cart.items.reduce((n, i) => n + i.quantity, 0) : 0, items: cart?.items ?? [], note: cart?.note ?? null, attributes: cart?.attributes ?? {} },
      content_for_header: this.contentForHeader(),
    }
  }

  /** Shopify's own head scripts, reduced to what mailstitch touches: window.Shopify and the privacy API. */
  private contentForHeader(): string {
    return `<script>var Shopify = Shopify || {};Shopify.shop = "stitch-and-co.myshopify.com";Shopify.locale = "en";Shopify.currency = {"active":"USD","rate":"1.0"};Shopify.country = "US";Shopify.routes = Shopify.routes || {};Shopify.routes.root = "/";</script>
<script>(${privacyStandIn.toString()})(${JSON.stringify(this.privacy)})</script>`
  }

  // -------------------------------------------------------------------------------------------
  // Endpoints

  private cartJson(cart: Cart | undefined) {
    const items = cart?.items ?? []
    const total = items.reduce((n, i) => n + i.line_price, 0)
    return {
      // No cart yet: Shopify still answers with a token, but nothing is stored under it.
      token: cart?.token ?? token(),
      note: cart?.note ?? null,
      attributes: cart?.attributes ?? {},
      original_total_price: total,
      total_price: total,
      total_discount: 0,
      total_weight: 0,
      item_count: items.reduce((n, i) => n + i.quantity, 0),
      items,
      requires_shipping: true,
      currency: 'USD',
      items_subtotal_price: total,
      cart_level_discount_applications: [],
    }
  }

  private currentCart(req: RouteRequest): Cart | undefined {
    return this.carts.get(cookieOf(req, 'cart'))
  }

  private ensureCart(req: RouteRequest): { cart: Cart; headers: Record<string, string> } {
    const existing = this.currentCart(req)
    if (existing) return { cart: existing, headers: {} }
    const cart: Cart = { token: token(), note: null, attributes: {}, items: [] }
    this.carts.set(cart.token, cart)
    return { cart, headers: { 'set-cookie': `cart=${encodeURIComponent(cart.token)}; Path=/; SameSite=Lax; Max-Age=1209600` } }
  }

  private async params(req: RouteRequest): Promise<Record<string, unknown>> {
    const type = String(req.headers['content-type'] ?? '')
    if (type.includes('application/json')) return JSON.parse(req.body.toString('utf8') || '{}')
    const out: Record<string, unknown> = {}
    const put = (k: string, v: string) => {
      const m = /^(\w+)\[([^\]]*)\]$/.exec(k)
      if (m) ((out[m[1]!] ??= {}) as Record<string, string>)[m[2]!] = v
      else out[k] = v
    }
    if (type.includes('multipart/form-data')) {
      const form = await new Response(new Uint8Array(req.body), { headers: { 'content-type': type } }).formData()
      form.forEach((v, k) => put(k, String(v)))
    } else new URLSearchParams(req.body.toString('utf8')).forEach((v, k) => put(k, v))
    return out
  }

  private customerOf(req: RouteRequest): Customer | null {
    return this.customers.get(Number(cookieOf(req, 'standin_customer'))) ?? null
  }

  private mount(): void {
    const site = this.site
    const page = (template: 'index' | 'product' | 'cart') => async (req: RouteRequest): Promise<RouteResponse> => {
      const ctx = { url: req.url, customer: this.customerOf(req), cart: this.currentCart(req) }
      // Section Rendering API: ?sections=a,b → JSON of each section's HTML; ?section_id=a → HTML.
      const ids = req.url.searchParams.get('sections') ?? req.url.searchParams.get('section_id')
      if (ids) {
        const scope = this.scope(template, ctx)
        const tpl = JSON.parse(readFileSync(join(THEME, 'templates', template + '.json'), 'utf8')) as { sections: Record<string, { type: string; settings?: Settings }> }
        const out: Record<string, string | null> = {}
        for (const id of ids.split(',')) {
          const key = id.split('__')[1]
          const s = key ? tpl.sections[key] : id === 'footer' ? { type: 'footer' } : undefined
          out[id] = s ? await this.section(id, s.type, s.settings, scope) : null
        }
        if (req.url.searchParams.has('section_id')) return { headers: { 'content-type': 'text/html; charset=utf-8' }, body: out[ids] ?? '' }
        return { body: out }
      }
      return { headers: { 'content-type': 'text/html; charset=utf-8' }, body: await this.render(template, ctx) }
    }
    site.route('GET', '/', page('index'))
    site.route('GET', `/products/${PRODUCT.handle}`, page('product'))
    site.route('GET', '/cart', page('cart'))
    site.route('GET', THEME_ASSETS + '*', (req) => {
      const file = req.url.pathname.slice(THEME_ASSETS.length)
      if (!/^[\w.-]+$/.test(file)) return { status: 404 }
      try {
        return { headers: { 'content-type': 'application/javascript' }, body: readFileSync(join(THEME, 'assets', file)) }
      } catch {
        return { status: 404 }
      }
    })

    site.route('GET', '/cart.js', (req) => {
      const cart = this.currentCart(req)
      this.reads.push({ items: cart?.items.reduce((n, i) => n + i.quantity, 0) ?? 0, attributes: { ...cart?.attributes }, updatesBefore: this.updates.length })
      return { body: this.cartJson(cart) }
    })

    const add = async (req: RouteRequest): Promise<RouteResponse> => {
      const p = await this.params(req)
      const lines = (Array.isArray(p.items) ? p.items : [p]) as { id?: unknown; quantity?: unknown }[]
      const variants = lines.map((l) => ({ v: PRODUCT.variants.find((v) => v.id === Number(l.id)), q: Math.max(1, Number(l.quantity ?? 1) || 1) }))
      const ajax = req.url.pathname.endsWith('.js') || /javascript|json/.test(String(req.headers.accept ?? ''))
      if (variants.some((x) => !x.v)) return { status: 404, body: { status: 404, message: 'Cart Error', description: 'Cannot find variant' } }
      const { cart, headers } = this.ensureCart(req)
      const added: LineItem[] = []
      for (const { v, q } of variants) {
        let item = cart.items.find((i) => i.variant_id === v!.id)
        if (!item) cart.items.push((item = { id: v!.id, variant_id: v!.id, product_id: PRODUCT.id, key: `${v!.id}:${randomBytes(4).toString('hex')}`, title: `${PRODUCT.title} - ${v!.title}`, handle: PRODUCT.handle, quantity: 0, price: v!.price, line_price: 0 }))
        item.quantity += q
        item.line_price = item.quantity * item.price
        added.push(item)
      }
      if (!ajax) return { status: 302, headers: { ...headers, location: '/cart' } }
      return { headers, body: Array.isArray(p.items) ? { items: added } : added[0]! }
    }
    site.route('POST', '/cart/add', add)
    site.route('POST', '/cart/add.js', add)

    site.route('POST', '/cart/update.js', async (req) => {
      const p = await this.params(req)
      const attributes = p.attributes as Record<string, string> | undefined
      const fault = this.updateFaults.shift()
      if (fault) {
        this.updates.push({ status: fault, attributes })
        return { status: fault, body: { status: fault, message: 'Cart Error', description: 'Injected fault' } }
      }
      const { cart, headers } = this.ensureCart(req)
      for (const [k, v] of Object.entries(attributes ?? {})) {
        // Shopify: an empty value removes the attribute.
        if (v === '' || v == null) delete cart.attributes[k]
        else cart.attributes[k] = String(v)
      }
      if (typeof p.note === 'string') cart.note = p.note
      this.updates.push({ status: 200, attributes, cart: cart.token })
      return { headers, body: this.cartJson(cart) }
    })

    // Checkout: the cart form posts `checkout`; the order is the cart as it is at that moment.
    site.route('POST', '/cart', async (req) => {
      const p = await this.params(req)
      const cart = this.currentCart(req)
      if (typeof p.note === 'string' && cart) cart.note = p.note
      if (!('checkout' in p) || !cart?.items.length) return { status: 302, headers: { location: '/cart' } } as RouteResponse
      const customer = this.customerOf(req)
      const order: Order = {
        id: 5801234567000 + this.orders.length,
        name: '#' + (1001 + this.orders.length),
        cart_token: cart.token.split('?')[0]!,
        note: cart.note,
        note_attributes: Object.entries(cart.attributes).map(([name, value]) => ({ name, value })),
        customer: customer ? { id: customer.id } : null,
        line_items: cart.items.map((i) => ({ variant_id: i.variant_id, quantity: i.quantity, title: i.title, price: (i.price / 100).toFixed(2) })),
        total_price: (cart.items.reduce((n, i) => n + i.line_price, 0) / 100).toFixed(2),
        currency: 'USD',
      }
      this.orders.push(order)
      this.carts.delete(cart.token)
      return { status: 302, headers: { location: `/checkouts/thank-you?order=${order.id}`, 'set-cookie': 'cart=; Path=/; Max-Age=0' } }
    })
    site.route('GET', '/checkouts/thank-you', (req) => ({
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `<!doctype html><title>Thank you</title><h1 id="thanks">Thank you for your order ${escapeAttr(this.orders.find((o) => String(o.id) === req.url.searchParams.get('order'))?.name ?? '')}</h1>`,
    }))
  }
}

/**
 * Runs in the page (serialized into content_for_header): a stand-in for Shopify's Customer
 * Privacy API with the real method and event names. `Shopify.customerPrivacy` appears only once
 * `Shopify.loadFeatures([{name: 'consent-tracking-api'}])` has called back, after `delayMs`.
 * The visitor's choice is kept in a cookie, as Shopify's `_tracking_consent` keeps it.
 * `window.__privacyBanner(analytics, marketing)` is what the cookie banner would call;
 * `window.__privacyAsked` counts the `loadFeatures` calls for the API (a caller waiting on it);
 * `window.__privacyLoad()` loads it now (with `delayMs: null` nothing else does).
 */
function privacyStandIn(cfg: PrivacyStandIn): void {
  const w = window as unknown as { Shopify: Record<string, unknown>; __privacyBanner?: (a: boolean, m: boolean) => void; __privacyLoad?: () => void; __privacyAsked?: number }
  if (cfg.mode === 'missing') return
  const read = (): { analytics: boolean; marketing: boolean } | null => {
    const m = /(?:^|; )standin_tracking_consent=([^;]*)/.exec(document.cookie)
    try { return m ? JSON.parse(decodeURIComponent(m[1]!)) : null } catch { return null }
  }
  let state = read() ?? cfg.initial
  const api = {
    analyticsProcessingAllowed: () => !!state?.analytics,
    marketingAllowed: () => !!state?.marketing,
    preferencesProcessingAllowed: () => !!state?.analytics,
    saleOfDataAllowed: () => !!state?.marketing,
    currentVisitorConsent: () => ({ analytics: state?.analytics ? 'yes' : state ? 'no' : '', marketing: state?.marketing ? 'yes' : state ? 'no' : '', preferences: '', sale_of_data: '' }),
    setTrackingConsent(c: { analytics?: boolean; marketing?: boolean; preferences?: boolean; sale_of_data?: boolean }, cb?: () => void) {
      state = { analytics: !!c.analytics, marketing: !!c.marketing }
      document.cookie = 'standin_tracking_consent=' + encodeURIComponent(JSON.stringify(state)) + '; path=/'
      setTimeout(() => {
        document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail: { analyticsAllowed: !!c.analytics, marketingAllowed: !!c.marketing, preferencesAllowed: !!c.preferences, saleOfDataAllowed: !!c.sale_of_data } }))
        cb?.()
      }, 0)
    },
  }
  let loaded = false
  const waiting: ((err?: unknown) => void)[] = []
  const load = () => {
    if (loaded) return
    loaded = true
    w.Shopify.customerPrivacy = api
    waiting.splice(0).forEach((f) => { try { f(null) } catch { /* a caller's error */ } })
  }
  w.__privacyAsked = 0
  w.__privacyLoad = load
  w.Shopify.loadFeatures = (features: { name: string }[], cb: (err?: unknown) => void) => {
    if (!features.some((f) => f.name === 'consent-tracking-api')) return cb(new Error('unknown feature'))
    w.__privacyAsked!++
    if (loaded) return void setTimeout(() => cb(null), 0)
    waiting.push(cb)
    if (waiting.length === 1 && cfg.delayMs !== null) setTimeout(load, cfg.delayMs)
  }
  w.__privacyBanner = (analytics, marketing) => {
    const set = () => api.setTrackingConsent({ analytics, marketing, preferences: analytics, sale_of_data: marketing })
    if (loaded) set()
    else (w.Shopify.loadFeatures as (f: { name: string }[], cb: () => void) => void)([{ name: 'consent-tracking-api' }], set)
  }
}
