// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CART_LINK_KEY, linkCartVisitor } from './visitor-link'

type User = { anonymousId: string | null; id: string | null; email?: string }
let user: User
let tracked: unknown[][]
let readyCallbacks: (() => void)[]

/** A loaded analytics.js as far as the link reads it; `ready` callbacks run when `load()` is called. */
function installAnalytics() {
  readyCallbacks = []
  tracked = []
  vi.stubGlobal('analytics', {
    ready: (cb: () => void) => readyCallbacks.push(cb),
    user: () => ({ anonymousId: () => user.anonymousId, id: () => user.id, traits: () => (user.email ? { email: user.email } : {}) }),
    track: (...args: unknown[]) => tracked.push(args),
  })
}
const load = () => readyCallbacks.splice(0).forEach((cb) => cb())

beforeEach(() => {
  localStorage.clear()
  user = { anonymousId: 'fresh-browser-01', id: null }
  installAnalytics()
})
afterEach(() => vi.unstubAllGlobals())

describe('linkCartVisitor', () => {
  it("sends one Visitor Linked { bridge_id, source: 'cart' } on the browser's id once analytics.js has loaded", () => {
    linkCartVisitor('cart-bridge-999')
    expect(tracked).toEqual([])
    load()
    expect(tracked).toEqual([['Visitor Linked', { bridge_id: 'cart-bridge-999', source: 'cart' }]])
    // Later pages, later cart changes: once.
    linkCartVisitor('cart-bridge-999')
    linkCartVisitor('cart-bridge-999')
    load()
    expect(tracked).toHaveLength(1)
    expect(JSON.parse(localStorage.getItem(CART_LINK_KEY)!)).toEqual({ a: 'fresh-browser-01', b: 'cart-bridge-999' })
  })

  it("waits for the SDK's start-up: a landing that adopts the cart's bridge id leaves nothing to link", async () => {
    let startUpDone!: () => void
    const started = new Promise<void>((resolve) => (startUpDone = resolve))
    linkCartVisitor('cart-bridge-999', undefined, started)
    await Promise.resolve()
    expect(readyCallbacks).toEqual([]) // not even waiting for analytics.js yet
    // The landing decision adopts the email link's token, which is the cart's bridge id.
    user.anonymousId = 'cart-bridge-999'
    startUpDone()
    await started
    await Promise.resolve()
    expect(readyCallbacks).toHaveLength(1)
    load()
    expect(tracked).toEqual([])
  })

  it('links after a start-up that failed', async () => {
    const started = Promise.reject(new Error('no core'))
    linkCartVisitor('cart-bridge-999', undefined, started)
    await started.catch(() => {})
    await Promise.resolve()
    load()
    expect(tracked).toEqual([['Visitor Linked', { bridge_id: 'cart-bridge-999', source: 'cart' }]])
  })

  it('links again when the browser got yet another id (purged again, or reset)', () => {
    linkCartVisitor('cart-bridge-999')
    load()
    user.anonymousId = 'fresh-browser-02'
    linkCartVisitor('cart-bridge-999')
    load()
    expect(tracked).toHaveLength(2)
  })

  it('sends nothing when the browser already is that visitor, or is identified (userId or an email trait)', () => {
    user.anonymousId = 'cart-bridge-999'
    linkCartVisitor('cart-bridge-999')
    load()
    user = { anonymousId: 'fresh-browser-01', id: '7012345678901' }
    linkCartVisitor('cart-bridge-999')
    load()
    user = { anonymousId: 'fresh-browser-01', id: null, email: 'someone@example.com' }
    linkCartVisitor('cart-bridge-999')
    load()
    expect(tracked).toEqual([])
    // The positive case on the same set-up still sends.
    user = { anonymousId: 'fresh-browser-01', id: null }
    linkCartVisitor('cart-bridge-999')
    load()
    expect(tracked).toHaveLength(1)
  })

  it('never throws: no analytics, a throwing analytics', () => {
    vi.stubGlobal('analytics', undefined)
    expect(() => linkCartVisitor('cart-bridge-999')).not.toThrow()
    vi.stubGlobal('analytics', { ready: (cb: () => void) => cb(), user: () => { throw new Error('boom') } })
    expect(() => linkCartVisitor('cart-bridge-999')).not.toThrow()
  })
})
