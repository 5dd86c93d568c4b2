import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { KLAVIYO_REVISION, klaviyoRequests, sendKlaviyo, type KlaviyoResult } from './klaviyo-client'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('klaviyoRequests', () => {
  it('builds the profile upsert only, without a list', () => {
    const rs = klaviyoRequests({ companyId: 'AbC123' }, { email: 'ada@example.com', bridgeId: 'anon-1' })
    expect(rs).toHaveLength(1)
    expect(rs[0]!.url).toBe('https://a.klaviyo.com/client/profiles?company_id=AbC123')
    expect(JSON.parse(rs[0]!.body)).toEqual({
      data: { type: 'profile', attributes: { email: 'ada@example.com', anonymous_id: 'anon-1', properties: { segment_anonymous_id: 'anon-1' } } },
    })
  })

  it('writes external_id only when given', () => {
    const [p] = klaviyoRequests({ companyId: 'A' }, { email: 'a@b.co', bridgeId: 'anon-1' }, 'user-9')
    expect(JSON.parse(p!.body).data.attributes.external_id).toBe('user-9')
    for (const none of [undefined, null, ''] as const) {
      const [q] = klaviyoRequests({ companyId: 'A' }, { email: 'a@b.co', bridgeId: 'anon-1' }, none)
      expect(JSON.parse(q!.body).data.attributes).not.toHaveProperty('external_id')
    }
  })

  it('maps traits: Klaviyo attributes stay attributes, other scalars go to properties, objects and email are dropped', () => {
    const [p] = klaviyoRequests({ companyId: 'A' }, {
      email: 'a@b.co',
      bridgeId: 'anon-1',
      traits: { first_name: 'Ada', last_name: 'L', title: 'Dr', organization: 'AE', locale: 'en-GB', plan: 'pro', age: 36, vip: true, address: { city: 'London' }, tags: ['x'], email: 'other@x.co', gone: null, segment_anonymous_id: 'spoof' },
    })
    const a = JSON.parse(p!.body).data.attributes
    expect(a).toMatchObject({ email: 'a@b.co', first_name: 'Ada', last_name: 'L', title: 'Dr', organization: 'AE', locale: 'en-GB' })
    expect(a.properties).toMatchObject({ plan: 'pro', age: 36, vip: true })
    expect(a.properties).not.toHaveProperty('address')
    expect(a.properties).not.toHaveProperty('tags')
    expect(a.properties).not.toHaveProperty('gone')
    expect(a.properties).not.toHaveProperty('email')
    expect(a.properties.segment_anonymous_id).toBe('anon-1') // a trait cannot overwrite the bridge id
  })

  it('with a list but no opt-in: the profile upsert only (never subscribes anyone who did not ask)', () => {
    const rs = klaviyoRequests({ companyId: 'AbC123', listId: 'XyZ789' }, { email: 'a@b.co', bridgeId: 'anon-1', source: 'form' })
    expect(rs.map((r) => r.step)).toEqual(['profile'])
  })

  it('with a list: the subscription request with relationships.list and custom_source', () => {
    const rs = klaviyoRequests({ companyId: 'AbC123', listId: 'XyZ789', apiBase: 'http://localhost:9999///' }, { email: 'a@b.co', bridgeId: 'anon-1', source: 'footer', subscribe: true })
    expect(rs.map((r) => r.url)).toEqual(['http://localhost:9999/client/profiles?company_id=AbC123', 'http://localhost:9999/client/subscriptions?company_id=AbC123'])
    expect(JSON.parse(rs[1]!.body)).toEqual({
      data: {
        type: 'subscription',
        attributes: { custom_source: 'footer', profile: { data: { type: 'profile', attributes: { email: 'a@b.co' } } } },
        relationships: { list: { data: { type: 'list', id: 'XyZ789' } } },
      },
    })
  })
})

describe('sendKlaviyo', () => {
  const req = { step: 'profile' as const, url: 'https://a.klaviyo.com/client/profiles?company_id=A', body: '{"data":{}}' }
  type Reply = number | [number, string] | 'reject' | 'throw'
  /** Stub fetch: answers from `replies` in turn (the last one repeats); records when each call came. */
  const replies = (...rs: Reply[]) => {
    const at: number[] = []
    const f = vi.fn((..._: unknown[]) => {
      at.push(Date.now())
      const r = rs.length > 1 ? rs.shift()! : rs[0]!
      if (r === 'throw') throw new TypeError('blocked')
      if (r === 'reject') return Promise.reject(new TypeError('Failed to fetch'))
      const [status, retryAfter] = Array.isArray(r) ? r : [r]
      return Promise.resolve({ status, headers: { get: (h: string) => (h.toLowerCase() === 'retry-after' ? retryAfter ?? null : null) } })
    })
    vi.stubGlobal('fetch', f)
    return { f, at, gaps: () => at.slice(1).map((t, i) => t - at[i]!) }
  }
  /** Run sendKlaviyo to its end under fake timers. */
  const send = async (go = () => true, r = req) => {
    let result: KlaviyoResult | undefined
    void sendKlaviyo(r, go).then((v) => (result = v))
    for (let i = 0; i < 100 && result === undefined; i++) await vi.advanceTimersByTimeAsync(1000)
    return result
  }
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('POSTs JSON:API with the revision header and keepalive', async () => {
    const { f } = replies(202)
    expect(await send()).toBe(202)
    expect(f).toHaveBeenCalledWith(req.url, {
      method: 'POST',
      keepalive: true,
      headers: { 'content-type': 'application/vnd.api+json', revision: KLAVIYO_REVISION },
      body: req.body,
    })
  })

  it('does not ask for keepalive with a body too large for it', async () => {
    const { f } = replies(202)
    await send(undefined, { ...req, body: 'x'.repeat(70_000) })
    expect((f.mock.calls[0] as unknown as [string, RequestInit])[1].keepalive).toBe(false)
  })

  it.each([200, 201, 202, 204, 400, 401, 403, 404, 409, 422])('%i is final: sent once, resolved with the status', async (status) => {
    const { f } = replies(status)
    expect(await send()).toBe(status)
    expect(f).toHaveBeenCalledTimes(1)
  })

  it('429 with Retry-After: retried after that many seconds (capped at 60 s)', async () => {
    const a = replies([429, '7'], 202)
    expect(await send()).toBe(202)
    expect(a.gaps()).toEqual([7000])
    const b = replies([429, '3600'], 202)
    expect(await send()).toBe(202)
    expect(b.gaps()).toEqual([60_000])
  })

  it('429 without (or with an unreadable) Retry-After, and 5xx: 3 retries with backoff from 1 s, then 0', async () => {
    const a = replies(429)
    expect(await send()).toBe('gave_up')
    expect(a.gaps()).toEqual([1000, 2000, 4000])
    const b = replies([429, 'Wed, 21 Oct 2026 07:28:00 GMT'], 500, 503, 502)
    expect(await send()).toBe('gave_up')
    expect(b.gaps()).toEqual([1000, 2000, 4000])
    const c = replies(500, 503, 202)
    expect(await send()).toBe(202)
    expect(c.gaps()).toEqual([1000, 2000])
  })

  it('a network error (fetch rejects) is retried, never thrown', async () => {
    const { at } = replies('reject', 202)
    await expect(send()).resolves.toBe(202)
    expect(at).toHaveLength(2)
  })

  it('fetch throwing synchronously is retried, never thrown', async () => {
    const { at } = replies('throw')
    await expect(send()).resolves.toBe('gave_up')
    expect(at).toHaveLength(4)
  })

  it('stops retrying once go() says no (destroyed, consent withdrawn)', async () => {
    const { at } = replies(503)
    let ok = true
    const p = sendKlaviyo(req, () => ok)
    await vi.advanceTimersByTimeAsync(0)
    ok = false
    await vi.advanceTimersByTimeAsync(60_000)
    expect(await p).toBe('gave_up')
    expect(at).toHaveLength(1)
  })
})
