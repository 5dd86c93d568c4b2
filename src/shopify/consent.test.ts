// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest'
import { gateFrom } from './consent'

const w = window as unknown as Record<string, any>
afterEach(() => {
  delete w.Shopify
  delete w.cmp
})

describe('add-on consent gate', () => {
  it('no option: allowed', async () => {
    expect(gateFrom(undefined).now()).toBe(true)
    expect(await gateFrom('').check()).toBe(true)
  })

  it('a named function, called on its owner; missing or throwing means denied', async () => {
    w.cmp = { ok: true, allows() { return this.ok } }
    expect(gateFrom('cmp.allows').now()).toBe(true)
    w.cmp.ok = false
    expect(await gateFrom('cmp.allows').check()).toBe(false)
    expect(gateFrom('nope.fn').now()).toBe(false)
    w.cmp.allows = () => { throw new Error('x') }
    expect(gateFrom('cmp.allows').now()).toBe(false)
    w.cmp.allows = () => Promise.reject(new Error('x'))
    expect(gateFrom('cmp.allows').now()).toBeUndefined()
    expect(await gateFrom('cmp.allows').check()).toBe(false)
  })

  it("'shopify': analytics and marketing both needed; loads the API; missing API is denied", async () => {
    expect(await gateFrom('shopify').check()).toBe(false) // no window.Shopify at all
    let analytics = true
    let marketing = false
    w.Shopify = {
      loadFeatures: (_f: unknown, cb: () => void) => setTimeout(() => {
        w.Shopify.customerPrivacy = { analyticsProcessingAllowed: () => analytics, marketingAllowed: () => marketing }
        cb()
      }, 10),
    }
    const g = gateFrom('shopify')
    expect(g.now()).toBeUndefined()
    expect(await g.check()).toBe(false)
    marketing = true
    expect(g.now()).toBe(true)
    let changed = 0
    const off = g.watch(() => changed++)
    document.dispatchEvent(new CustomEvent('visitorConsentCollected'))
    off()
    document.dispatchEvent(new CustomEvent('visitorConsentCollected'))
    expect(changed).toBe(1)
    analytics = false
    expect(g.now()).toBe(false)
  })
})
