import { afterEach, describe, expect, it, vi } from 'vitest'
import { KLAVIYO_REVISION, klaviyoRequests, sendKlaviyo } from './klaviyo-client'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('klaviyoRequests', () => {
  it('builds the profile upsert only, without a list', () => {
    const rs = klaviyoRequests({ companyId: 'AbC123' }, { email: 'ada@example.com', bridgeId: 'anon-1' })
    expect(rs).toHaveLength(1)
    expect(rs[0]!.u).toBe('https://a.klaviyo.com/client/profiles?company_id=AbC123')
    expect(JSON.parse(rs[0]!.b)).toEqual({
      data: { type: 'profile', attributes: { email: 'ada@example.com', anonymous_id: 'anon-1', properties: { segment_anonymous_id: 'anon-1' } } },
    })
  })

  it('writes external_id only when given', () => {
    const [p] = klaviyoRequests({ companyId: 'A' }, { email: 'a@b.co', bridgeId: 'anon-1', externalId: 'user-9' })
    expect(JSON.parse(p!.b).data.attributes.external_id).toBe('user-9')
    const [q] = klaviyoRequests({ companyId: 'A' }, { email: 'a@b.co', bridgeId: 'anon-1', externalId: undefined })
    expect(JSON.parse(q!.b).data.attributes).not.toHaveProperty('external_id')
  })

  it('maps traits: Klaviyo attributes stay attributes, other scalars go to properties, objects and email are dropped', () => {
    const [p] = klaviyoRequests({ companyId: 'A' }, {
      email: 'a@b.co',
      bridgeId: 'anon-1',
      traits: { first_name: 'Ada', last_name: 'L', title: 'Dr', organization: 'AE', locale: 'en-GB', plan: 'pro', age: 36, vip: true, address: { city: 'London' }, tags: ['x'], email: 'other@x.co', gone: null, segment_anonymous_id: 'spoof' },
    })
    const a = JSON.parse(p!.b).data.attributes
    expect(a).toMatchObject({ email: 'a@b.co', first_name: 'Ada', last_name: 'L', title: 'Dr', organization: 'AE', locale: 'en-GB' })
    expect(a.properties).toMatchObject({ plan: 'pro', age: 36, vip: true })
    expect(a.properties).not.toHaveProperty('address')
    expect(a.properties).not.toHaveProperty('tags')
    expect(a.properties).not.toHaveProperty('gone')
    expect(a.properties).not.toHaveProperty('email')
    expect(a.properties.segment_anonymous_id).toBe('anon-1') // a trait cannot overwrite the bridge id
  })

  it('with a list: the subscription request with relationships.list and custom_source', () => {
    const rs = klaviyoRequests({ companyId: 'AbC123', listId: 'XyZ789', apiBase: 'http://localhost:9999///' }, { email: 'a@b.co', bridgeId: 'anon-1', source: 'footer' })
    expect(rs.map((r) => r.u)).toEqual(['http://localhost:9999/client/profiles?company_id=AbC123', 'http://localhost:9999/client/subscriptions?company_id=AbC123'])
    expect(JSON.parse(rs[1]!.b)).toEqual({
      data: {
        type: 'subscription',
        attributes: { custom_source: 'footer', profile: { data: { type: 'profile', attributes: { email: 'a@b.co' } } } },
        relationships: { list: { data: { type: 'list', id: 'XyZ789' } } },
      },
    })
  })
})

describe('sendKlaviyo', () => {
  const req = { u: 'https://a.klaviyo.com/client/profiles?company_id=A', b: '{"data":{}}' }
  const reply = (status: number, retryAfter?: string) => {
    const f = vi.fn(async () => ({ status, headers: { get: (h: string) => (h.toLowerCase() === 'retry-after' ? retryAfter ?? null : null) } }))
    vi.stubGlobal('fetch', f)
    return f
  }

  it('POSTs JSON:API with the revision header and keepalive', async () => {
    const f = reply(202)
    expect(await sendKlaviyo(req, 0)).toEqual({ done: true, status: 202 })
    expect(f).toHaveBeenCalledWith(req.u, {
      method: 'POST',
      keepalive: true,
      headers: { 'content-type': 'application/vnd.api+json', revision: KLAVIYO_REVISION },
      body: req.b,
    })
  })

  it('does not ask for keepalive with a body too large for it', async () => {
    const f = reply(202)
    await sendKlaviyo({ u: req.u, b: 'x'.repeat(70_000) }, 0)
    expect((f.mock.calls[0] as unknown as [string, RequestInit])[1].keepalive).toBe(false)
  })

  it.each([200, 201, 202, 204, 400, 401, 403, 404, 409, 422])('%i is final', async (status) => {
    reply(status)
    expect(await sendKlaviyo(req, 0)).toEqual({ done: true, status })
  })

  it('429 with Retry-After: retry after that many seconds (capped at 60 s)', async () => {
    reply(429, '7')
    expect(await sendKlaviyo(req, 0)).toEqual({ done: false, wait: 7000 })
    reply(429, '3600')
    expect(await sendKlaviyo(req, 0)).toEqual({ done: false, wait: 60_000 })
  })

  it('429 without (or with an unreadable) Retry-After, and 5xx: exponential backoff from 1 s, capped at 30 s', async () => {
    reply(429)
    expect(await sendKlaviyo(req, 0)).toEqual({ done: false, wait: 1000 })
    reply(429, 'Wed, 21 Oct 2026 07:28:00 GMT')
    expect(await sendKlaviyo(req, 1)).toEqual({ done: false, wait: 2000 })
    reply(500)
    expect(await sendKlaviyo(req, 2)).toEqual({ done: false, wait: 4000 })
    reply(503)
    expect(await sendKlaviyo(req, 10)).toEqual({ done: false, wait: 30_000 })
  })

  it('a network error (fetch rejects) is retryable, never thrown', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))))
    await expect(sendKlaviyo(req, 0)).resolves.toEqual({ done: false, wait: 1000 })
  })

  it('fetch throwing synchronously is retryable, never thrown', async () => {
    vi.stubGlobal('fetch', () => { throw new TypeError('blocked') })
    await expect(sendKlaviyo(req, 1)).resolves.toEqual({ done: false, wait: 2000 })
  })
})
