/**
 * Browser code of the demo store (bundled by esbuild at demo start): cart in localStorage (one
 * per host name, i.e. per "device"), Segment e-commerce events, the Klaviyo-style popup, and the
 * strip showing this browser's Segment anonymousId. Text goes into the DOM with textContent only.
 */
import { CURRENCY, productBySlug, productProperties, type Product } from '../catalog'

interface AnalyticsUser {
  anonymousId(): string | null
  id(): string | null
  traits(): { email?: unknown } | undefined
}
interface Analytics {
  track(event: string, props?: Record<string, unknown>, options?: Record<string, unknown>, cb?: () => void): unknown
  ready(cb: () => void): unknown
  user(): AnalyticsUser
}
interface StoreWindow {
  analytics: Analytics
  __store: { page: string; product?: string; checkout?: 'browser' | 'shopify' }
  mailstitch?: { instance?: { linkParams(): Record<string, string> } }
}

const w = window as unknown as StoreWindow
const cfg = w.__store
const CART_KEY = 'hl_cart'

type CartLine = { slug: string; qty: number }

function readCart(): CartLine[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(CART_KEY) ?? '[]')
    return Array.isArray(v) ? v.filter((l): l is CartLine => !!l && typeof l.slug === 'string' && typeof l.qty === 'number' && !!productBySlug(l.slug)) : []
  } catch {
    return []
  }
}

function writeCart(lines: CartLine[]): void {
  localStorage.setItem(CART_KEY, JSON.stringify(lines))
  updateCount()
}

function cartId(): string {
  let id = localStorage.getItem('hl_cart_id')
  if (!id) {
    id = 'cart_' + Math.random().toString(36).slice(2, 10)
    localStorage.setItem('hl_cart_id', id)
  }
  return id
}

function updateCount(): void {
  const n = readCart().reduce((s, l) => s + l.qty, 0)
  const el = document.getElementById('cart-count')
  if (el) el.textContent = String(n)
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(c) : c)
  return e
}

const money = (n: number) => `$${n.toFixed(2)}`

function strip(): void {
  w.analytics.ready(() => {
    const anon = document.getElementById('ms-anon')
    if (anon) anon.textContent = w.analytics.user().anonymousId() ?? '(none)'
    const bridge = document.getElementById('ms-bridge')
    const mst = w.mailstitch?.instance?.linkParams().mst
    if (bridge) bridge.textContent = mst ? `bridge id (mst) ${mst}` : 'no email captured in this browser yet'
  })
}

function productPage(p: Product): void {
  w.analytics.track('Product Viewed', productProperties(p))
  const btn = document.getElementById('add-to-cart')
  btn?.addEventListener('click', () => {
    const lines = readCart()
    const line = lines.find((l) => l.slug === p.slug)
    if (line) line.qty++
    else lines.push({ slug: p.slug, qty: 1 })
    writeCart(lines)
    w.analytics.track('Product Added', { ...productProperties(p), cart_id: cartId() })
    const added = document.getElementById('added')
    if (added) added.hidden = false
  })
}

function cartPage(): void {
  const box = document.getElementById('cart-box')!
  const lines = readCart()
  const products = lines.map((l) => ({ ...productProperties(productBySlug(l.slug)!, l.qty) }))
  w.analytics.track('Cart Viewed', { cart_id: cartId(), products })
  box.textContent = ''
  if (!lines.length) {
    box.append(el('p', {}, 'Your cart is empty. '), el('a', { href: '/' }, 'Keep shopping'))
    return
  }
  const table = el('table', { class: 'cart' }, el('tr', {}, el('th', {}, 'Item'), el('th', {}, 'Qty'), el('th', {}, 'Price')))
  let total = 0
  for (const l of lines) {
    const p = productBySlug(l.slug)!
    total += p.price * l.qty
    table.append(el('tr', {}, el('td', {}, p.name), el('td', {}, String(l.qty)), el('td', {}, money(p.price * l.qty))))
  }
  table.append(el('tr', {}, el('td', {}, el('b', {}, 'Total')), el('td', {}), el('td', {}, el('b', { id: 'cart-total' }, money(total)))))
  const button = el('button', { class: 'btn', id: 'place-order', type: 'button' }, 'Place order')
  // Shopify's checkout asks the buyer for their email; the order (and its webhook) carries it.
  const contact = el('input', { type: 'email', id: 'checkout-email', placeholder: 'Email for your order', autocomplete: 'email', style: 'padding:8px;min-width:260px' }) as HTMLInputElement
  if (cfg.checkout === 'shopify') {
    box.append(table, el('p', { style: 'margin-top:18px' }, el('label', { for: 'checkout-email' }, 'Contact (Shopify checkout): '), contact))
    // This browser's own email, where it knows one (a capture here); another device types it.
    w.analytics.ready(() => {
      const known = w.analytics.user().traits()?.email
      if (!contact.value && typeof known === 'string') contact.value = known
    })
  } else {
    box.append(table)
  }
  box.append(el('p', { style: 'margin-top:18px' }, button))
  button.addEventListener('click', () => {
    button.setAttribute('disabled', '')
    const orderId = 'HL' + Date.now().toString(36).toUpperCase()
    let gone = false
    const go = () => {
      if (gone) return
      gone = true
      writeCart([])
      localStorage.removeItem('hl_cart_id')
      location.href = `/thank-you?order=${encodeURIComponent(orderId)}`
    }
    if (cfg.checkout === 'shopify') {
      // The purchase happens in Shopify's checkout: the store sends the cart, with the bridge id
      // the Shopify add-on would have written into its attributes, and Shopify's orders/create
      // webhook brings the order to Segment through the relay.
      const bridgeId = w.mailstitch?.instance?.linkParams().mst ?? ''
      const email = contact.value.trim()
      if (!email || !contact.checkValidity()) {
        button.removeAttribute('disabled')
        contact.focus()
        return
      }
      fetch('/checkout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lines, bridgeId, email }) })
        .then((r) => (r.ok ? (r.json() as Promise<{ order_id?: string }>) : Promise.reject(new Error(String(r.status)))))
        .then((placed) => {
          writeCart([])
          localStorage.removeItem('hl_cart_id')
          location.href = `/thank-you?order=${encodeURIComponent(placed.order_id ?? '')}`
        })
        .catch(() => button.removeAttribute('disabled'))
      return
    }
    w.analytics.track(
      'Order Completed',
      { order_id: orderId, checkout_id: cartId(), total, subtotal: total, revenue: total, shipping: 0, tax: 0, currency: CURRENCY, products },
      {},
      go,
    )
    setTimeout(go, 2000)
  })
}

/** A Klaviyo-style popup: announces open/submit/close with the `klaviyoForms` window event, as Klaviyo's forms do. */
function popup(): void {
  const formId = 'Xy12Ab'
  const overlay = document.getElementById('kl-overlay')!
  const announce = (detail: Record<string, unknown>) => window.dispatchEvent(new CustomEvent('klaviyoForms', { detail: { formId, formVersionId: 4242, ...detail } }))
  document.getElementById('kl-teaser')?.addEventListener('click', () => {
    overlay.classList.add('open')
    announce({ type: 'open', metaData: {} })
    ;(document.getElementById('kl-email') as HTMLInputElement).focus()
  })
  document.getElementById('kl-close')?.addEventListener('click', () => {
    overlay.classList.remove('open')
    announce({ type: 'close', metaData: {} })
  })
  // Script-driven like Klaviyo's own forms: the button (or Enter) submits, no native form submit.
  const submit = () => {
    const input = document.getElementById('kl-email') as HTMLInputElement
    const email = input.value.trim()
    if (!/.@.+\./.test(email)) {
      input.setCustomValidity('Please enter a valid email address')
      input.reportValidity()
      return
    }
    input.setCustomValidity('')
    announce({ type: 'submit', metaData: { $email: email, $source: 'Popup', $consent_method: 'Klaviyo Form', $consent_form_id: formId } })
    document.getElementById('kl-form')!.hidden = true
    document.getElementById('kl-thanks')!.hidden = false
  }
  document.getElementById('kl-submit')?.addEventListener('click', submit)
  document.getElementById('kl-email')?.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') submit()
  })
}

function start(): void {
  updateCount()
  strip()
  popup()
  if (cfg.page === 'product' && cfg.product) {
    const p = productBySlug(cfg.product)
    if (p) productPage(p)
  }
  if (cfg.page === 'cart') cartPage()
}

start()
