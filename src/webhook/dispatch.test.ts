import { describe, expect, it } from 'vitest'
import { createDispatcher } from './dispatch'

const seen: string[] = []
const route = (name: string) => async (request: Request) => {
  seen.push(`${name}:${await request.text()}`)
  return new Response(name, { status: 200 })
}
const post = (headers: Record<string, string>) => new Request('https://relay.example/any/path', { method: 'POST', headers, body: 'b' })

describe('createDispatcher', () => {
  it('routes by signature header: Klaviyo-Signature to Klaviyo, X-Shopify-Hmac-Sha256 to Shopify', async () => {
    const app = createDispatcher({ klaviyo: route('klaviyo'), shopify: route('shopify') })
    expect(await (await app(post({ 'Klaviyo-Signature': 'x' }))).text()).toBe('klaviyo')
    expect(await (await app(post({ 'X-Shopify-Hmac-Sha256': 'x' }))).text()).toBe('shopify')
    expect(seen).toEqual(['klaviyo:b', 'shopify:b'])
  })

  it('refuses unsigned requests and sources that are not configured, health-checks GET', async () => {
    const app = createDispatcher({ klaviyo: route('klaviyo') })
    expect((await app(post({}))).status).toBe(401)
    const shopify = await app(post({ 'X-Shopify-Hmac-Sha256': 'x' }))
    expect(shopify.status).toBe(404)
    expect(await shopify.json()).toEqual({ ok: false, error: 'shopify_not_configured' })
    expect((await app(new Request('https://relay.example/healthz'))).status).toBe(200)
    expect((await app(new Request('https://relay.example/other'))).status).toBe(404)
    expect((await app(new Request('https://relay.example/', { method: 'PUT', body: 'x' }))).status).toBe(405)
  })
})

describe('createDispatcher and 503s', () => {
  it('adds Retry-After to a 503 that has none, and keeps one a handler set', async () => {
    const bare = createDispatcher({ klaviyo: async () => new Response('down', { status: 503 }) })
    const res = await bare(post({ 'Klaviyo-Signature': 'x' }))
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('30')
    expect(await res.text()).toBe('down')
    const own = createDispatcher({ shopify: async () => new Response('', { status: 503, headers: { 'retry-after': '7' } }) })
    expect((await own(post({ 'X-Shopify-Hmac-Sha256': 'x' }))).headers.get('retry-after')).toBe('7')
    const ok = createDispatcher({ shopify: async () => new Response('', { status: 200 }) })
    expect((await ok(post({ 'X-Shopify-Hmac-Sha256': 'x' }))).headers.has('retry-after')).toBe(false)
  })
})
