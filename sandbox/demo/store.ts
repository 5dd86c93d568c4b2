/**
 * The demo storefront: a small Shopify-like shop (home, product pages, cart, thank-you page) with
 * the real Segment snippet, mailstitch's script tag, Dawn's newsletter form in the footer (a
 * full-page POST to /contact that redirects back, as Shopify's does) and a Klaviyo-style popup
 * form that announces submits with the real `klaviyoForms` window event.
 */
import type http from 'node:http'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { CURRENCY, PRODUCTS, STORE_NAME, productBySlug, productSvg, type Product } from './catalog'
import { html, raw, scriptJson, type Html } from './html'
import { segmentSnippet } from './snippet'
import { snippet } from '../../src/snippet/index'
import type { PlacedShopifyOrder, ShopifyCart } from '../shopify/checkout'

export interface StoreConfig {
  /** Segment write key of the website source. */
  writeKey: string
  /** Port of the Segment collector (its host name follows the page's). */
  collectorPort: number
  /** Klaviyo API origin for `data-klaviyo-api-base`. */
  klaviyoUrl: string
  /** Klaviyo public key (company id) and list. */
  companyId: string
  listId: string
  /** Where the built SDK lives (…/dist). */
  distDir: string
  /** Bundled client script of the store. */
  clientJs: () => string
  /** Origin of the demo console (email simulator, journey viewer), for the header links. */
  consoleUrl: string
  /** With `--checkout shopify`: places the cart as a Shopify order (POST /checkout). */
  shopifyCheckout?: (cart: ShopifyCart) => Promise<PlacedShopifyOrder>
}

/** A newsletter signup the store received (what Shopify would have stored). */
export interface ContactPost {
  email: string
  tags: string
  host: string
  at: string
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2a37;background:#faf8f4}
a{color:inherit}.strip{background:#1f2a37;color:#e5e7eb;font:12px/1.4 ui-monospace,Menlo,monospace;padding:6px 20px;display:flex;gap:18px;flex-wrap:wrap;align-items:center}
.strip b{color:#fff}.strip .dev{background:#f59e0b;color:#111;border-radius:3px;padding:1px 6px;font-weight:700}.strip .dev.other{background:#38bdf8}.strip a{color:#93c5fd}
header.site{display:flex;align-items:center;justify-content:space-between;padding:18px 32px;border-bottom:1px solid #e7e1d6;background:#fff}
.logo{font:600 20px/1 Georgia,serif;letter-spacing:.02em;text-decoration:none}nav a{margin-left:22px;text-decoration:none;font-weight:500}
main{max-width:980px;margin:0 auto;padding:28px 24px 48px}.hero{background:#efe8dc;border-radius:10px;padding:36px;margin-bottom:28px}
.hero h1{font:600 34px/1.15 Georgia,serif;margin:0 0 8px}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:20px}
.card{background:#fff;border:1px solid #e7e1d6;border-radius:10px;padding:14px;text-decoration:none;display:block}.card svg{width:100%;height:auto;background:#f6f2ea;border-radius:6px}
.card h3{margin:10px 0 2px;font-size:16px}.price{color:#6b7280}.pdp{display:grid;grid-template-columns:1fr 1fr;gap:32px;align-items:start}
.pdp svg{width:100%;height:auto;background:#fff;border:1px solid #e7e1d6;border-radius:10px}.btn{background:#1f2a37;color:#fff;border:0;border-radius:6px;padding:12px 22px;font:600 15px system-ui;cursor:pointer}
.btn.secondary{background:#fff;color:#1f2a37;border:1px solid #1f2a37}.notice{background:#ecfdf5;border:1px solid #a7f3d0;color:#065f46;padding:10px 14px;border-radius:8px;margin-bottom:18px}
table.cart{width:100%;border-collapse:collapse;background:#fff}table.cart td,table.cart th{padding:10px;border-bottom:1px solid #eee;text-align:left}
footer.site{background:#efe8dc;padding:28px 32px;margin-top:40px}footer .newsletter-form{display:flex;gap:8px;max-width:420px}
footer input[type=email]{flex:1;padding:10px 12px;border:1px solid #c9bfae;border-radius:6px;font-size:15px}
.teaser{position:fixed;left:18px;bottom:18px;background:#8a7350;color:#fff;border:0;border-radius:999px;padding:12px 18px;font:600 14px system-ui;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}
.kl-overlay{position:fixed;inset:0;background:rgba(17,24,39,.55);display:none;align-items:center;justify-content:center}.kl-overlay.open{display:flex}
.kl-modal{background:#fff;border-radius:12px;padding:30px;width:min(420px,92vw);position:relative}.kl-modal h2{font:600 26px Georgia,serif;margin:0 0 6px}
.kl-modal input{width:100%;padding:11px 12px;border:1px solid #c9bfae;border-radius:6px;font-size:15px;margin:14px 0}.kl-close{position:absolute;right:12px;top:8px;border:0;background:none;font-size:22px;cursor:pointer}
.muted{color:#6b7280;font-size:14px}`

function layout(c: StoreConfig, req: { host: string; other: boolean }, o: { title: string; page: string; body: Html; data?: Record<string, unknown> }): string {
  const collectorOrigin = `http://${req.host.replace(/:\d+$/, '')}:${c.collectorPort}`
  // mailstitch as the README installs it first: the inline snippet right after the Segment snippet.
  const tag = html`<script>${raw(snippet({ src: '/dist/mailstitch.min.js', klaviyoCompanyId: c.companyId, klaviyoListId: c.listId, klaviyoApiBase: c.klaviyoUrl }))}</script>`
  const device = req.other ? 'another device' : 'this browser'
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${o.title} – ${STORE_NAME}</title><style>${raw(CSS)}</style>
${segmentSnippet(c.writeKey, collectorOrigin)}
${tag}
<script>window.__store=${scriptJson({ page: o.page, currency: CURRENCY, checkout: c.shopifyCheckout ? 'shopify' : 'browser', ...o.data })}</script>
<script src="/assets/store.js" defer></script>
</head><body data-page="${o.page}">
<div class="strip"><span class="dev${req.other ? ' other' : ''}" title="The two host names have separate cookies, like two devices">${req.host.replace(/:\d+$/, '')} · ${device}</span>
<span>Segment anonymousId <b id="ms-anon">…</b></span><span id="ms-bridge"></span>
<span style="margin-left:auto"><a href="${c.consoleUrl}/inbox" target="_blank">Email simulator</a> · <a href="${c.consoleUrl}/journey" target="_blank">Journey viewer</a></span></div>
<header class="site"><a class="logo" href="/">${STORE_NAME}</a><nav><a href="/">Shop</a><a href="/products/linen-overshirt">Linen</a><a href="/cart" id="cart-link">Cart (<span id="cart-count">0</span>)</a></nav></header>
<main>${o.body}</main>
<footer class="site"><h3 style="margin:0 0 8px;font-family:Georgia,serif">Subscribe to our emails</h3><p class="muted" style="margin:0 0 12px">New arrivals, restocks and the occasional discount.</p>
<form method="post" action="/contact#ContactFooter" id="ContactFooter" accept-charset="UTF-8" class="footer__newsletter newsletter-form">
<input type="hidden" name="form_type" value="customer"><input type="hidden" name="utf8" value="✓"><input type="hidden" name="contact[tags]" value="newsletter">
<input id="NewsletterForm--footer" type="email" name="contact[email]" required autocorrect="off" autocapitalize="off" autocomplete="email" placeholder="Email" aria-label="Email">
<button type="submit" id="Subscribe" class="btn">Subscribe</button></form></footer>
<button class="teaser" id="kl-teaser" type="button">Get 10% off</button>
<div class="kl-overlay" id="kl-overlay" role="dialog" aria-modal="true" aria-labelledby="kl-title"><div class="kl-modal needsclick klaviyo-form-Xy12Ab" data-testid="klaviyo-form-Xy12Ab">
<button class="kl-close" id="kl-close" type="button" aria-label="Close">×</button>
<div id="kl-form" class="klaviyo-form" role="form" aria-labelledby="kl-title"><h2 id="kl-title">Take 10% off</h2><p class="muted" style="margin:0">Join the list for your code. (A Klaviyo-style popup: script-driven, no native form submit; it announces the signup with the <code>klaviyoForms</code> event.)</p>
<input id="kl-email" type="email" name="email" placeholder="Email address" autocomplete="email" aria-label="Email address"><button class="btn" type="button" id="kl-submit" style="width:100%">Get my code</button></div>
<p id="kl-thanks" hidden style="font-size:18px">Thanks! Your code is <b>WELCOME10</b>.</p></div></div>
</body></html>`.value
}

function money(n: number): string {
  return `$${n.toFixed(2)}`
}

function home(): Html {
  return html`<section class="hero"><h1>Things for slow mornings.</h1><p style="margin:0;max-width:520px">Small runs of clothing and homewares, made to be used every day. This is the mailstitch demo store: browse, subscribe in the footer or the popup, then send yourself an email from the simulator.</p></section>
<div class="grid">${PRODUCTS.map((p) => html`<a class="card" href="/products/${p.slug}" data-product="${p.slug}">${raw(productSvg(p))}<h3>${p.name}</h3><div class="price">${money(p.price)}</div></a>`)}</div>`
}

function productPage(p: Product): Html {
  return html`<div class="pdp"><div>${raw(productSvg(p, 440))}</div><div><p class="muted" style="margin:0">${p.category}</p><h1 style="font:600 32px Georgia,serif;margin:4px 0 8px">${p.name}</h1>
<p style="font-size:20px;margin:0 0 12px">${money(p.price)}</p><p>${p.blurb}</p><p><button class="btn" id="add-to-cart" data-slug="${p.slug}">Add to cart</button> <a class="btn secondary" style="text-decoration:none;display:inline-block" href="/cart" id="go-to-cart">View cart</a></p>
<p class="muted" id="added" hidden>Added to your cart.</p></div></div>
<h3 style="margin-top:40px">You may also like</h3><div class="grid">${PRODUCTS.filter((x) => x !== p).map((x) => html`<a class="card" href="/products/${x.slug}">${raw(productSvg(x, 160))}<h3>${x.name}</h3><div class="price">${money(x.price)}</div></a>`)}</div>`
}

function cartPage(): Html {
  return html`<h1 style="font:600 30px Georgia,serif">Your cart</h1><div id="cart-box"><p class="muted">Loading…</p></div>`
}

function thankYou(order: string): Html {
  return html`<h1 style="font:600 30px Georgia,serif">Thank you!</h1><p>Your order <b id="order-id">${order}</b> is confirmed. (Nothing will ship: this is the mailstitch demo store.)</p><p><a href="/">Continue shopping</a></p>`
}

async function readForm(req: http.IncomingMessage, limit = 64 * 1024): Promise<URLSearchParams> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > limit) break
    chunks.push(c as Buffer)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

const TYPES: Record<string, string> = { '.js': 'application/javascript; charset=utf-8', '.map': 'application/json' }

/** The store's request handler. `posts` collects newsletter signups. */
export function storeHandler(c: StoreConfig, posts: ContactPost[]) {
  return async (req: http.IncomingMessage, res: http.ServerResponse, host: string): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${host}`)
    const other = url.hostname !== '127.0.0.1'
    const send = (status: number, body: string, type = 'text/html; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'strict-origin-when-cross-origin' })
      res.end(body)
    }
    const page = (title: string, pageName: string, body: Html, data?: Record<string, unknown>) => send(200, layout(c, { host, other }, { title, page: pageName, body, data }))
    const p = url.pathname

    if (req.method === 'POST' && p === '/contact') {
      // Shopify's customer form: stored, then a redirect back to the page it came from.
      const form = await readForm(req)
      posts.push({ email: form.get('contact[email]') ?? '', tags: form.get('contact[tags]') ?? '', host: url.hostname, at: new Date().toISOString() })
      let back = '/'
      try {
        const ref = new URL(String(req.headers.referer ?? ''))
        if (ref.host === host) back = ref.pathname
      } catch {
        /* no or foreign referer */
      }
      res.writeHead(302, { location: `${back}?customer_posted=true#ContactFooter` })
      res.end()
      return
    }
    if (req.method === 'POST' && p === '/checkout' && c.shopifyCheckout) {
      // Shopify's checkout: the cart (with its mailstitch_anonymous_id attribute) becomes an order.
      const cart = parseCheckout(await readBody(req))
      if (!cart) return send(400, JSON.stringify({ error: 'bad cart' }), 'application/json')
      const placed = await c.shopifyCheckout(cart)
      return send(200, JSON.stringify({ order_id: placed.orderId, webhook_status: placed.webhookStatus }), 'application/json')
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed', 'text/plain')
    // The script tag and the runner it loads from beside itself (dist/mailstitch-runner.min.js).
    if (/^\/dist\/mailstitch(-runner)?\.min\.js(\.map)?$/.test(p)) {
      try {
        const data = await readFile(path.join(c.distDir, path.basename(p)))
        res.writeHead(200, { 'content-type': TYPES[path.extname(p)]!, 'cache-control': 'no-store' })
        res.end(data)
      } catch {
        send(404, `dist/${path.basename(p)} is missing: run \`npm run build\``, 'text/plain')
      }
      return
    }
    if (p === '/assets/store.js') return send(200, c.clientJs(), TYPES['.js'])
    if (p === '/favicon.ico') {
      res.writeHead(204).end()
      return
    }
    if (p === '/') {
      const posted = url.searchParams.get('customer_posted') === 'true'
      return page('Home', 'home', posted ? html`<div class="notice" id="subscribed">Thanks for subscribing!</div>${home()}` : home())
    }
    const m = /^\/products\/([a-z0-9-]+)\/?$/.exec(p)
    if (m) {
      const prod = productBySlug(m[1]!)
      if (prod) {
        const posted = url.searchParams.get('customer_posted') === 'true'
        return page(prod.name, 'product', posted ? html`<div class="notice" id="subscribed">Thanks for subscribing!</div>${productPage(prod)}` : productPage(prod), { product: prod.slug })
      }
    }
    if (p === '/cart') return page('Cart', 'cart', cartPage())
    if (p === '/thank-you') return page('Thank you', 'thank-you', thankYou((url.searchParams.get('order') ?? '').slice(0, 64)))
    send(404, layout(c, { host, other }, { title: 'Not found', page: 'not-found', body: html`<h1>Not found</h1><p><a href="/">Back to the shop</a></p>` }))
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > 64 * 1024) break
  }
  return body
}

/** `{ lines: [{ slug, qty }], bridgeId, email }` from the store page → a Shopify cart, or null (no valid email). */
function parseCheckout(body: string): ShopifyCart | null {
  let v: unknown
  try {
    v = JSON.parse(body)
  } catch {
    return null
  }
  if (!v || typeof v !== 'object' || !Array.isArray((v as { lines?: unknown }).lines)) return null
  const lines: ShopifyCart['lines'] = []
  for (const l of (v as { lines: unknown[] }).lines) {
    const line = l as { slug?: unknown; qty?: unknown }
    const p = typeof line?.slug === 'string' ? productBySlug(line.slug) : undefined
    const qty = Number(line?.qty)
    if (!p || !Number.isInteger(qty) || qty < 1 || qty > 99) return null
    // Shopify ids are numbers: the catalog's `prod_1001` becomes product 1001, variant 1001001.
    const n = Number(p.id.replace(/\D/g, ''))
    lines.push({ productId: n, variantId: n * 1000 + 1, title: p.name, sku: p.sku, vendor: STORE_NAME, price: p.price, quantity: qty })
  }
  const bridge = (v as { bridgeId?: unknown }).bridgeId
  // The buyer's email, as Shopify's checkout requires one: the shopper's own, never a fixed one.
  const email = (v as { email?: unknown }).email
  if (typeof email !== 'string' || !/^[^\s@"\\]+@[^\s@"\\]+\.[^\s@"\\]+$/.test(email.trim())) return null
  return { lines, email: email.trim(), ...(typeof bridge === 'string' && bridge ? { bridgeId: bridge } : {}) }
}
