import { hasEmailField } from '../browser/core/email-field'
import { retry, type Attempt } from '../browser/runner/retry'
import { TOKEN } from '../shared/url'
import type { Gate } from './consent'

/** The cart attribute that carries the bridge id into checkout, orders and order webhooks. */
export const CART_ATTRIBUTE = 'mailstitch_anonymous_id'

/** Options of {@link startCartBridge}. */
export interface CartBridgeOptions {
  /** The bridge id now (read before every write); `undefined` before any capture or adoption. */
  bridgeId(): string | undefined
  /**
   * Whether an email was captured in this browser. A browser that captured nothing never
   * overwrites a bridge id already on the cart (it may be the same shopper's, from before Safari
   * purged this browser's storage). Default: nothing captured.
   */
  captured?(): boolean
  /**
   * Called with the cart's bridge id when this browser has none of its own (its storage was
   * purged, the server-set `cart` cookie was not): the add-on links the two ids. Without it a
   * browser with no bridge id does not read the cart.
   */
  foundInCart?(bridgeId: string): void
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

/** The state of one running bridge, read and written by the steps below. */
interface Bridge {
  options: CartBridgeOptions
  log: (...args: unknown[]) => void
  attribute: string
  root: string
  debounceMs: number
  retryMs: number
  cleanups: (() => void)[]
  stopped: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  running: Promise<void> | undefined
  /** A trigger came while a check was running: check once more after it. */
  again: boolean
  /** Our own /cart/update.js requests not yet seen by the resource observer. */
  ownRequests: number
  /** Writes left on this page. */
  budget: number
}

async function allowed(bridge: Bridge): Promise<boolean> {
  try {
    return (bridge.options.gate.now() ?? (await bridge.options.gate.check())) === true
  } catch {
    return false
  }
}

async function getCart(bridge: Bridge): Promise<Cart | undefined> {
  try {
    const r = await fetch(bridge.root + 'cart.js', { credentials: 'same-origin', headers: { accept: 'application/json' }, cache: 'no-store' })
    return r.ok ? ((await r.json()) as Cart) : undefined
  } catch {
    return undefined
  }
}

/** POST the attribute with bounded retries (the browser's one `retry`); true once Shopify accepted it. */
async function writeAttribute(bridge: Bridge, value: string): Promise<boolean> {
  const attempt = async (): Promise<Attempt<boolean>> => {
    if (bridge.stopped || bridge.budget <= 0) return { done: true, value: false }
    bridge.budget--
    bridge.ownRequests++
    const r = await fetch(bridge.root + 'cart/update.js', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ attributes: { [bridge.attribute]: value } }),
    })
    if (!r.ok) {
      bridge.log('cart update refused', r.status)
      return { done: false }
    }
    bridge.log('cart attribute', value ? 'written' : 'removed')
    return { done: true, value: true }
  }
  const keepGoing = () => !bridge.stopped && bridge.budget > 0
  const accepted = await retry(attempt, { tries: TRIES, baseMs: bridge.retryMs, maxMs: 8000, keepGoing })
  return accepted === true && !bridge.stopped
}

/** What one look at the cart leads to. */
export type CartAction = { kind: 'none' } | { kind: 'write'; value: string } | { kind: 'link'; bridgeId: string }

/** The facts {@link cartAction} decides on. */
export interface CartFacts {
  /** This browser's bridge id, if it has one. */
  own: string | undefined
  /** An email was captured in this browser. */
  captured: boolean
  /** The cart's attribute value as Shopify returned it (anything). */
  onCart: unknown
  /** The cart has items (writing into an empty one would create a cart for every visitor). */
  hasItems: boolean
}

/**
 * The cart bridge's one decision (CONTRACT.md, "A browser that lost its storage"):
 * - no bridge id here, a well-formed one on the cart → link this browser to it;
 * - the cart already holds ours, or has no items → nothing;
 * - the cart holds another bridge id and this browser captured nothing → nothing: never overwrite
 *   it (an adopted link or nothing at all is weaker evidence than the cart's own history);
 * - otherwise (an empty, emptied or malformed attribute, or a capture here) → write ours.
 */
export function cartAction(facts: CartFacts): CartAction {
  const onCart = typeof facts.onCart === 'string' && TOKEN.test(facts.onCart) ? facts.onCart : undefined
  if (!facts.own) return onCart ? { kind: 'link', bridgeId: onCart } : { kind: 'none' }
  if (onCart === facts.own || !facts.hasItems) return { kind: 'none' }
  if (onCart && !facts.captured) return { kind: 'none' }
  return { kind: 'write', value: facts.own }
}

/** One check; false when a write was refused (then only a later trigger tries again). */
async function checkOnce(bridge: Bridge): Promise<boolean> {
  if (!(await allowed(bridge)) || bridge.stopped) return true
  const own = bridge.options.bridgeId()
  if (!own && !bridge.options.foundInCart) return true
  const cart = await getCart(bridge)
  if (!cart) return true
  const action = cartAction({
    own,
    captured: bridge.options.captured?.() === true,
    onCart: cart.attributes?.[bridge.attribute],
    hasItems: Number(cart.item_count) > 0,
  })
  // Consent may have been withdrawn while the cart was read.
  if (action.kind === 'none' || bridge.options.gate.now() === false || bridge.stopped) return true
  if (action.kind === 'link') {
    bridge.options.foundInCart?.(action.bridgeId)
    return true
  }
  return writeAttribute(bridge, action.value)
}

/** Check now; a trigger during a running check makes it check once more. Never rejects. */
function sync(bridge: Bridge): Promise<void> {
  if (bridge.running) {
    bridge.again = true
    return bridge.running
  }
  bridge.running = (async () => {
    try {
      let ok = true
      do {
        bridge.again = false
        ok = await checkOnce(bridge)
      } while (bridge.again && ok && !bridge.stopped)
    } catch {
      /* never reject */
    } finally {
      bridge.running = undefined
    }
  })()
  return bridge.running
}

/** Check after a quiet period (debounced). */
function kick(bridge: Bridge, ms = bridge.debounceMs): void {
  if (bridge.stopped) return
  clearTimeout(bridge.timer)
  bridge.timer = setTimeout(() => void sync(bridge), ms)
}

/** Consent withdrawn: take the id off the cart so a later order does not carry it. */
async function withdraw(bridge: Bridge): Promise<void> {
  clearTimeout(bridge.timer)
  const cart = await getCart(bridge)
  if (cart?.attributes?.[bridge.attribute]) await writeAttribute(bridge, '')
}

/** Every completed cart-changing request the page makes (not our own writes) schedules a check. */
function watchCartRequests(bridge: Bridge): void {
  try {
    if (typeof PerformanceObserver !== 'function') return
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
        if ((entry.initiatorType !== 'fetch' && entry.initiatorType !== 'xmlhttprequest') || !CART_CHANGE.test(entry.name)) continue
        if (bridge.ownRequests > 0 && /\/cart\/update/.test(entry.name)) bridge.ownRequests--
        else kick(bridge)
      }
    })
    observer.observe({ type: 'resource' })
    bridge.cleanups.push(() => observer.disconnect())
  } catch {
    /* no resource timing: theme events and page loads still sync */
  }
}

function listen(bridge: Bridge, type: string, handler: (event: Event) => unknown): void {
  window.addEventListener(type, handler, true)
  bridge.cleanups.push(() => window.removeEventListener(type, handler, true))
}

/** Theme cart events, captures (they may create the bridge id), back/forward cache, consent. */
function watchTriggers(bridge: Bridge): void {
  for (const type of CART_EVENTS) listen(bridge, type, () => kick(bridge))
  // A capture may have just created the bridge id (fetch-posted and Klaviyo forms stay on the page).
  const afterCapture = () => {
    kick(bridge, 1000)
    setTimeout(() => kick(bridge), 5000)
  }
  listen(bridge, 'submit', (event) => {
    if (hasEmailField(event.target)) afterCapture()
  })
  listen(bridge, 'klaviyoForms', (event) => {
    if ((event as CustomEvent).detail?.type === 'submit') afterCapture()
  })
  // Back from the back/forward cache: the cart may have changed in another tab meanwhile.
  listen(bridge, 'pageshow', (event) => {
    if ((event as PageTransitionEvent).persisted) kick(bridge)
  })
  const gate = bridge.options.gate
  bridge.cleanups.push(
    gate.watch(() => {
      if (gate.now() === false) void withdraw(bridge).catch(() => {})
      else kick(bridge)
    }),
  )
}

/**
 * Write the bridge id into the Shopify cart's attributes (`POST /cart/update.js`), so checkout,
 * the order and its webhooks carry the visitor. Only once a cart exists (it has items), only with
 * consent, debounced, with bounded retries; it never throws into the page. When consent is
 * withdrawn it removes the attribute again. A browser that captured nothing never overwrites a
 * bridge id already on the cart, and one with no bridge id of its own hands the cart's to
 * `foundInCart` ({@link cartAction}).
 *
 * Cart changes are noticed without patching `fetch`/`XMLHttpRequest`: a `PerformanceObserver`
 * sees every completed `/cart/add|change|update|clear` request the page makes, and the common
 * theme events (`cart:updated`, …) are heard too. Form submits and Klaviyo form events may
 * create the bridge id, so they schedule a check as well.
 */
export function startCartBridge(options: CartBridgeOptions): CartBridge {
  const bridge: Bridge = {
    options,
    log: options.log ?? (() => {}),
    attribute: options.attribute || CART_ATTRIBUTE,
    root: (options.root || '/').replace(/\/?$/, '/'),
    debounceMs: options.debounceMs ?? 400,
    retryMs: options.retryMs ?? 1000,
    cleanups: [],
    stopped: false,
    timer: undefined,
    running: undefined,
    again: false,
    ownRequests: 0,
    budget: PAGE_BUDGET,
  }
  watchCartRequests(bridge)
  watchTriggers(bridge)
  kick(bridge, 0)
  return {
    sync: () => sync(bridge),
    stop() {
      bridge.stopped = true
      clearTimeout(bridge.timer)
      for (const cleanup of bridge.cleanups.splice(0)) cleanup()
    },
  }
}
