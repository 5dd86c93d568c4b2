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
