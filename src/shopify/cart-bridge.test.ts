// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Gate } from './consent'
import { CART_ATTRIBUTE, cartAction, startCartBridge, type CartBridge } from './cart-bridge'

type Call = { url: string; method: string; body?: unknown }
let calls: Call[] = []
let cart: { item_count: number; token: string; attributes: Record<string, string> }
let updateStatuses: number[] = []
let bridges: CartBridge[] = []

function gate(allowed: boolean | undefined = true): Gate & { set(v: boolean): void } {
  let v = allowed
  const cbs: (() => void)[] = []
  return {
    now: () => v,
    check: async () => v === true,
    watch: (cb) => (cbs.push(cb), () => void cbs.splice(cbs.indexOf(cb), 1)),
    set(x) { v = x; cbs.forEach((cb) => cb()) },
  }
}

function start(o: Partial<Parameters<typeof startCartBridge>[0]> = {}) {
  const b = startCartBridge({ bridgeId: () => 'bridge-123456', gate: gate(), debounceMs: 0, retryMs: 5, ...o })
  bridges.push(b)
  return b
}

/** Let `ms` of fake time pass (debounces, back-off sleeps) and what it starts finish. */
const settle = (ms = 60) => vi.advanceTimersByTimeAsync(ms)
/** Await `p` while fake time runs on under it (a sync whose retries sleep). */
async function run<T>(p: Promise<T>, ms = 60): Promise<T> {
  await settle(ms)
  return p
}
const posts = () => calls.filter((c) => c.method === 'POST')

beforeEach(() => {
  vi.useFakeTimers()
  calls = []
  updateStatuses = []
  cart = { item_count: 0, token: 'hWN-not-stored', attributes: {} }
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET'
    const body = init.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ url, method, body })
    if (method === 'POST') {
      const status = updateStatuses.shift() ?? 200
      if (status !== 200) return new Response('{}', { status })
      for (const [k, v] of Object.entries(body.attributes as Record<string, string>)) v ? (cart.attributes[k] = v) : delete cart.attributes[k]
    }
    return new Response(JSON.stringify(cart), { status: 200, headers: { 'content-type': 'application/json' } })
  })
})
afterEach(() => {
  bridges.splice(0).forEach((b) => b.stop())
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('cart bridge', () => {
  it('writes nothing without a bridge id, and never creates a cart (token alone is no cart)', async () => {
    start({ bridgeId: () => undefined })
    await settle()
    expect(calls).toEqual([])
    const b = start()
    await b.sync()
    expect(calls.map((c) => c.method)).toEqual(expect.arrayContaining(['GET']))
    expect(posts()).toEqual([])
  })

  it('writes the attribute once a cart has items, to the locale root, and only when it differs', async () => {
    cart.item_count = 1
    const b = start({ root: '/fr' })
    await b.sync()
    await settle()
    expect(posts()).toEqual([{ url: '/fr/cart/update.js', method: 'POST', body: { attributes: { [CART_ATTRIBUTE]: 'bridge-123456' } } }])
    expect(calls[0]!.url).toBe('/fr/cart.js')
    await b.sync()
    expect(posts()).toHaveLength(1)
  })

  it('retries 5xx with back-off and gives up after three attempts on 4xx, never rejecting', async () => {
    cart.item_count = 2
    updateStatuses = [500, 503]
    await run(start().sync())
    expect(posts()).toHaveLength(3)
    expect(cart.attributes[CART_ATTRIBUTE]).toBe('bridge-123456')

    calls = []
    cart.attributes = {}
    updateStatuses = [422, 422, 422, 422]
    bridges.splice(0).forEach((b) => b.stop())
    await expect(run(start().sync())).resolves.toBeUndefined()
    expect(posts()).toHaveLength(3)
    expect(cart.attributes[CART_ATTRIBUTE]).toBeUndefined()
  })

  it('network errors are tolerated like 5xx', async () => {
    cart.item_count = 1
    const real = globalThis.fetch
    let fail = 2
    vi.stubGlobal('fetch', async (u: string, i?: RequestInit) => (i?.method === 'POST' && fail-- > 0 ? Promise.reject(new TypeError('Failed to fetch')) : real(u, i)))
    await run(start().sync())
    expect(cart.attributes[CART_ATTRIBUTE]).toBe('bridge-123456')
  })

  it('asks nothing and writes nothing without consent; removes the attribute when consent is withdrawn', async () => {
    cart.item_count = 1
    const g = gate(false)
    await start({ gate: g }).sync()
    await settle()
    expect(calls).toEqual([])
    g.set(true)
    await settle()
    expect(cart.attributes[CART_ATTRIBUTE]).toBe('bridge-123456')
    g.set(false)
    await settle()
    expect(cart.attributes[CART_ATTRIBUTE]).toBeUndefined()
    expect(posts().at(-1)!.body).toEqual({ attributes: { [CART_ATTRIBUTE]: '' } })
  })

  it('theme cart events trigger a check; stop() removes the listeners', async () => {
    const b = start()
    await settle()
    cart.item_count = 1
    document.dispatchEvent(new CustomEvent('cart:updated', { bubbles: true }))
    await settle()
    expect(posts()).toHaveLength(1)
    b.stop()
    cart.attributes = {}
    document.dispatchEvent(new CustomEvent('cart:refresh'))
    await settle()
    expect(posts()).toHaveLength(1)
  })

  it('a non-email form submit does not schedule a check; an email form does', async () => {
    start({ debounceMs: 0 })
    await settle()
    cart.item_count = 1
    const form = document.createElement('form')
    form.innerHTML = '<input name="q">'
    document.body.appendChild(form)
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
    await settle(1200)
    expect(posts()).toHaveLength(0)
    form.innerHTML = '<input type="email" name="contact[email]">'
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
    await settle(1200)
    expect(posts()).toHaveLength(1)
  })
})

describe('cart bridge and a browser that lost its storage', () => {
  it('decides: link with no id here, never overwrite from a browser that captured nothing, write otherwise', () => {
    const own = 'bridge-123456'
    const other = 'cart-bridge-999'
    const cases: [Parameters<typeof cartAction>[0], ReturnType<typeof cartAction>][] = [
      [{ own: undefined, captured: false, onCart: other, hasItems: true }, { kind: 'link', bridgeId: other }],
      [{ own: undefined, captured: false, onCart: other, hasItems: false }, { kind: 'link', bridgeId: other }],
      [{ own: undefined, captured: false, onCart: undefined, hasItems: true }, { kind: 'none' }],
      [{ own: undefined, captured: false, onCart: '<script>', hasItems: true }, { kind: 'none' }],
      [{ own, captured: false, onCart: other, hasItems: true }, { kind: 'none' }],
      [{ own, captured: true, onCart: other, hasItems: true }, { kind: 'write', value: own }],
      [{ own, captured: false, onCart: '', hasItems: true }, { kind: 'write', value: own }],
      [{ own, captured: false, onCart: undefined, hasItems: true }, { kind: 'write', value: own }],
      [{ own, captured: false, onCart: 'x y', hasItems: true }, { kind: 'write', value: own }],
      [{ own, captured: true, onCart: own, hasItems: true }, { kind: 'none' }],
      [{ own, captured: true, onCart: undefined, hasItems: false }, { kind: 'none' }],
    ]
    for (const [facts, expected] of cases) expect(cartAction(facts)).toEqual(expected)
  })

  it("never overwrites the cart's bridge id from a browser that captured nothing (an adopted link is not enough)", async () => {
    cart = { item_count: 2, token: 't', attributes: { [CART_ATTRIBUTE]: 'cart-bridge-999' } }
    const found: string[] = []
    const b = start({ captured: () => false, foundInCart: (id) => found.push(id) })
    await b.sync()
    await settle()
    expect(calls.length).toBeGreaterThan(0) // the cart was read…
    expect(posts()).toEqual([]) // …and left alone
    expect(found).toEqual([])
    // A capture in this browser is fresher evidence: then its own id goes on the cart.
    const c = start({ captured: () => true })
    await c.sync()
    expect(posts()).toEqual([{ url: '/cart/update.js', method: 'POST', body: { attributes: { [CART_ATTRIBUTE]: 'bridge-123456' } } }])
  })

  it("hands the cart's bridge id to foundInCart when this browser has none, with consent only, writing nothing", async () => {
    cart = { item_count: 0, token: 't', attributes: { [CART_ATTRIBUTE]: 'cart-bridge-999' } }
    const found: string[] = []
    const g = gate(false)
    const b = start({ bridgeId: () => undefined, foundInCart: (id) => found.push(id), gate: g })
    await b.sync()
    await settle()
    expect(calls).toEqual([])
    g.set(true)
    await settle()
    await b.sync()
    expect(found[0]).toBe('cart-bridge-999')
    expect(posts()).toEqual([])
  })
})
