import { hasEmailField } from '../browser/email-field'
import { retry, type Attempt } from '../browser/retry'
import type { Gate } from './consent'

/** The cart attribute that carries the bridge id into checkout, orders and order webhooks. */
export const CART_ATTRIBUTE = 'mailstitch_anonymous_id'

/** Options of {@link startCartBridge}. */
export interface CartBridgeOptions {
  /** The bridge id now (read before every write); `undefined` before any capture or adoption. */
  bridgeId(): string | undefined
  /** The consent gate: nothing is read or written unless it allows. */
  gate: Gate
  /** The shop's `routes.root_url` (`/` or a locale prefix such as `/fr`); default `/`. */
  root?: string
  /** Cart attribute name; default {@link CART_ATTRIBUTE}. */
  attribute?: string
  /** Quiet period after a cart change before the cart is read; default 400 ms. */
  debounceMs?: number
  /** Base of the retry back-off; default 1000 ms (doubled per attempt, capped at 8 s). */
  retryMs?: number
  log?: (...args: unknown[]) => void
}

/** A running cart bridge. */
export interface CartBridge {
  /** Read the cart now and write the bridge id if the cart exists and lacks it. Never rejects. */
  sync(): Promise<void>
  /** Stop watching; pending writes are abandoned. */
  stop(): void
}

interface Cart {
  item_count?: number
  attributes?: Record<string, unknown> | null
}

/** Requests that change the cart, whoever makes them (theme, apps, a cart drawer). */
const CART_CHANGE = /\/cart\/(add|change|update|clear)(\.js(on)?)?([?#]|$)/
/** Theme conventions for "the cart changed" (Dawn uses an internal pub/sub; many themes emit these). */
const CART_EVENTS = ['cart:updated', 'cart:refresh', 'cart:change', 'theme:cart:change', 'cart:build']
/** Attempts per write (the first try plus retries) and per page. */
const TRIES = 3
const PAGE_BUDGET = 10


/**
 * Write the bridge id into the Shopify cart's attributes (`POST /cart/update.js`), so checkout,
 * the order and its webhooks carry the visitor. Only once a cart exists (it has items), only with
 * consent, debounced, with bounded retries; it never throws into the page. When consent is
 * withdrawn it removes the attribute again.
 *
 * Cart changes are noticed without patching `fetch`/`XMLHttpRequest`: a `PerformanceObserver`
 * sees every completed `/cart/add|change|update|clear` request the page makes, and the common
 * theme events (`cart:updated`, …) are heard too. Form submits and Klaviyo form events may
 * create the bridge id, so they schedule a check as well.
 */
export function startCartBridge(o: CartBridgeOptions): CartBridge {
  const log = o.log ?? (() => {})
  const attr = o.attribute || CART_ATTRIBUTE
  const root = (o.root || '/').replace(/\/?$/, '/')
  const wait = o.debounceMs ?? 400
  const retryMs = o.retryMs ?? 1000
  const offs: (() => void)[] = []
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<void> | undefined
  let again = false
  /** Our own /cart/update.js requests not yet seen by the resource observer. */
  let ours = 0
  let budget = PAGE_BUDGET

  const allowed = async () => {
    try {
      return (o.gate.now() ?? (await o.gate.check())) === true
    } catch {
      return false
    }
  }

  const getCart = async (): Promise<Cart | undefined> => {
    try {
      const r = await fetch(root + 'cart.js', { credentials: 'same-origin', headers: { accept: 'application/json' }, cache: 'no-store' })
      return r.ok ? ((await r.json()) as Cart) : undefined
    } catch {
      return undefined
    }
  }

  /** POST the attributes with bounded retries (the browser's one `retry`); true once Shopify accepted them. */
  const write = async (value: string): Promise<boolean> => {
    const attempt = async (): Promise<Attempt<boolean>> => {
      if (stopped || budget <= 0) return { done: true, value: false }
      budget--
      ours++
      const r = await fetch(root + 'cart/update.js', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ attributes: { [attr]: value } }),
      })
      if (!r.ok) {
        log('cart update refused', r.status)
        return { done: false }
      }
      log('cart attribute', value ? 'written' : 'removed')
      return { done: true, value: true }
    }
    const accepted = await retry(attempt, { tries: TRIES, baseMs: retryMs, maxMs: 8000, keepGoing: () => !stopped && budget > 0 })
    return accepted === true && !stopped
  }

  /** One check; false when a write was refused (then only a later trigger tries again). */
  const once = async (): Promise<boolean> => {
    if (!(await allowed()) || stopped) return true
    const id = o.bridgeId()
    if (!id) return true
    const cart = await getCart()
    // No cart yet (or an empty one): writing attributes would create a cart for every visitor.
    if (!cart || !(Number(cart.item_count) > 0) || cart.attributes?.[attr] === id) return true
    // Consent may have been withdrawn while the cart was read.
    if (o.gate.now() === false || stopped) return true
    return write(id)
  }

  const sync = (): Promise<void> => {
    if (running) return (again = true), running
    running = (async () => {
      try {
        let ok = true
        do {
          again = false
          ok = await once()
        } while (again && ok && !stopped)
      } catch {
        /* never reject */
      } finally {
        running = undefined
      }
    })()
    return running
  }

  const kick = (ms = wait) => {
    if (stopped) return
    clearTimeout(timer)
    timer = setTimeout(() => void sync(), ms)
  }

  /** Consent withdrawn: take the id off the cart so a later order does not carry it. */
  const withdraw = async () => {
    clearTimeout(timer)
    const cart = await getCart()
    if (cart?.attributes?.[attr]) await write('')
  }

  try {
    if (typeof PerformanceObserver === 'function') {
      const po = new PerformanceObserver((list) => {
        for (const e of list.getEntries() as PerformanceResourceTiming[]) {
          if ((e.initiatorType !== 'fetch' && e.initiatorType !== 'xmlhttprequest') || !CART_CHANGE.test(e.name)) continue
          if (ours > 0 && /\/cart\/update/.test(e.name)) ours--
          else kick()
        }
      })
      po.observe({ type: 'resource' })
      offs.push(() => po.disconnect())
    }
  } catch {
    /* no resource timing: theme events and page loads still sync */
  }
  const on = (type: string, f: (e: Event) => unknown) => {
    window.addEventListener(type, f, true)
    offs.push(() => window.removeEventListener(type, f, true))
  }
  for (const ev of CART_EVENTS) on(ev, () => kick())
  // A capture may have just created the bridge id (fetch-posted and Klaviyo forms stay on the page).
  const afterCapture = () => (kick(1000), setTimeout(() => kick(), 5000))
  on('submit', (e) => hasEmailField(e.target) && afterCapture())
  on('klaviyoForms', (e) => (e as CustomEvent).detail?.type === 'submit' && afterCapture())
  // Back from the back/forward cache: the cart may have changed in another tab meanwhile.
  on('pageshow', (e) => (e as PageTransitionEvent).persisted && kick())
  offs.push(
    o.gate.watch(() => {
      if (o.gate.now() === false) void withdraw().catch(() => {})
      else kick()
    }),
  )
  kick(0)

  return {
    sync,
    stop() {
      stopped = true
      clearTimeout(timer)
      offs.splice(0).forEach((f) => f())
    },
  }
}
