import { describe, expect, it, vi } from 'vitest'
import { ApiKeySession, EventsApi, MetricsApi, ProfilesApi, RetryWithExponentialBackoff, type ProfileResponseObjectResource } from 'klaviyo-api'
import { advanceUntil } from '../test/helpers/fake-time'
import { useSandboxServices } from '../test/helpers/sandbox-services'

const COMPANY = 'AbC123'
const REVISION = '2026-07-15'

const sandbox = useSandboxServices({ klaviyo: { companyIds: [COMPANY] } })

/** POST to the client API the way the browser SDK does (fetch, JSON:API, revision header). */
function client(path: string, body: unknown, opts: { company?: string | null; revision?: string | null; method?: string } = {}) {
  const company = opts.company === undefined ? COMPANY : opts.company
  const headers: Record<string, string> = { 'content-type': 'application/vnd.api+json', accept: 'application/vnd.api+json' }
  if (opts.revision !== null) headers.revision = opts.revision ?? REVISION
  return fetch(`${sandbox.klaviyo.url}${path}${company === null ? '' : `?company_id=${company}`}`, {
    method: opts.method ?? 'POST',
    headers,
    body: opts.method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
}

const profileBody = (attributes: Record<string, unknown>) => ({ data: { type: 'profile', attributes } })

async function errorOf(res: Response) {
  const json = (await res.json()) as { errors: Array<{ id: string; status: number; code: string; detail: string; source: Record<string, string> }> }
  expect(json.errors).toHaveLength(1)
  expect(json.errors[0].id).toMatch(/^[0-9a-f-]{36}$/)
  return json.errors[0]
}

/** Real klaviyo-api clients pointed at the emulator, with fast retries. */
function apis(key = 'pk_test') {
  const session = new ApiKeySession(key, new RetryWithExponentialBackoff({ numRetries: 3, maxInterval: 2 }))
  const events = new EventsApi(session)
  const metrics = new MetricsApi(session)
  const profiles = new ProfilesApi(session)
  for (const api of [events, metrics, profiles]) api.basePath = sandbox.klaviyo.url
  return { events, metrics, profiles }
}

function statusOf(err: unknown): number | undefined {
  return (err as { response?: { status?: number } }).response?.status
}

describe('client API', () => {
  it('upserts a profile with 202 and an empty body, keeping anonymous_id internal', async () => {
    const res = await client('/client/profiles', profileBody({ email: 'ada@example.com', anonymous_id: 'anon-1234', properties: { segment_anonymous_id: 'anon-1234' } }))
    expect(res.status).toBe(202)
    expect(await res.text()).toBe('')
    const p = sandbox.klaviyo.store.findProfile({ email: 'ada@example.com' })!
    expect(p).toMatchObject({ anonymous_id: 'anon-1234', properties: { segment_anonymous_id: 'anon-1234' } })
    expect(sandbox.klaviyo.store.findProfile({ anonymous_id: 'anon-1234' })?.id).toBe(p.id)
    const [req] = sandbox.klaviyo.requests()
    expect(req).toMatchObject({ method: 'POST', path: '/client/profiles', query: { company_id: COMPANY }, headers: { revision: REVISION } })
    expect((req.body as { data: { type: string } }).data.type).toBe('profile')
  })

  it('never changes an existing identifier, but merges properties and fills a missing anonymous_id', async () => {
    await client('/client/profiles', profileBody({ email: 'ada@example.com', external_id: 'u1', properties: { a: 1 } }))
    await client('/client/profiles', profileBody({ email: 'ADA@example.com', external_id: 'u2', anonymous_id: 'anon-5678', first_name: 'Ada', properties: { b: 2 } }))
    await client('/client/profiles', profileBody({ email: 'ada@example.com', anonymous_id: 'anon-other' }))
    const all = sandbox.klaviyo.store.listProfiles()
    expect(all).toHaveLength(1)
    expect(all[0]).toMatchObject({ email: 'ada@example.com', external_id: 'u1', anonymous_id: 'anon-5678', first_name: 'Ada', properties: { a: 1, b: 2 } })
  })

  it('identifies an anonymous profile by anonymous_id, but not one that already belongs to someone else', async () => {
    await client('/client/profiles', profileBody({ anonymous_id: 'device-0001' }))
    await client('/client/profiles', profileBody({ email: 'first@example.com', anonymous_id: 'device-0001' }))
    expect(sandbox.klaviyo.store.listProfiles()).toHaveLength(1)
    await client('/client/profiles', profileBody({ email: 'second@example.com', anonymous_id: 'device-0001' }))
    expect(sandbox.klaviyo.store.listProfiles().map((p) => p.email)).toEqual(['first@example.com', 'second@example.com'])
  })

  it('accepts the old trailing-slash path', async () => {
    expect((await client('/client/profiles/', profileBody({ email: 'slash@example.com' }))).status).toBe(202)
  })

  it('rejects what Klaviyo rejects, with JSON:API errors', async () => {
    const noCompany = await client('/client/profiles', profileBody({ email: 'a@example.com' }), { company: null })
    expect(noCompany.status).toBe(400)
    expect((await errorOf(noCompany)).source).toEqual({ parameter: 'company_id' })

    const unknown = await client('/client/profiles', profileBody({ email: 'a@example.com' }), { company: 'ZZZ999' })
    expect(unknown.status).toBe(400)

    const noRevision = await client('/client/profiles', profileBody({ email: 'a@example.com' }), { revision: null })
    expect(noRevision.status).toBe(400)
    expect((await errorOf(noRevision)).source).toEqual({ header: 'revision' })

    const badEmail = await client('/client/profiles', profileBody({ email: 'not-an-email' }))
    expect(badEmail.status).toBe(400)
    expect(await errorOf(badEmail)).toMatchObject({ status: 400, code: 'invalid', source: { pointer: '/data/attributes/email' } })

    const wrongType = await client('/client/profiles', { data: { type: 'event', attributes: { email: 'a@example.com' } } })
    expect(wrongType.status).toBe(409)
    const noData = await client('/client/profiles', { email: 'a@example.com' })
    expect(noData.status).toBe(400)
    const noIdentifier = await client('/client/profiles', profileBody({ first_name: 'Nobody' }))
    expect(noIdentifier.status).toBe(400)

    const badJson = await client('/client/profiles', '{"data":')
    expect(badJson.status).toBe(400)
    expect((await errorOf(badJson)).code).toBe('parse_error')

    const huge = await client('/client/events', JSON.stringify({ data: { type: 'event', attributes: { properties: { blob: 'x'.repeat(10 * 1024 * 1024) } } } }))
    expect(huge.status).toBe(413)

    expect((await client('/client/profiles', '', { method: 'GET' })).status).toBe(405)
    expect((await client('/client/nothing', {})).status).toBe(404)
    expect(sandbox.klaviyo.requests()).toHaveLength(0)
    expect(sandbox.klaviyo.store.listProfiles()).toHaveLength(0)
  })

  it('survives malformed input of every kind', async () => {
    for (const body of ['null', '[]', '{"data":[]}', '{"data":{"type":"profile","attributes":[]}}', '{"data":{"type":"profile","attributes":{"email":42}}}', '{"data":{"type":"profile","attributes":{"email":"a@b.co","properties":"x"}}}']) {
      const res = await client('/client/profiles', body)
      expect(res.status, body).toBeGreaterThanOrEqual(400)
      expect(res.status, body).toBeLessThan(500)
    }
    const res = await fetch(`${sandbox.klaviyo.url}/api/events/%E0%A4%A`, { headers: { Authorization: 'Klaviyo-API-Key pk_test', revision: REVISION } })
    expect(res.status).toBe(404)
    const badCursor = await fetch(`${sandbox.klaviyo.url}/api/events?page%5Bcursor%5D=%%%`, { headers: { Authorization: 'Klaviyo-API-Key pk_test', revision: REVISION } })
    expect(badCursor.status).toBe(400)
    expect((await client('/client/profiles', profileBody({ email: 'fine@example.com' }))).status).toBe(202)
  })

  it('subscribes to a list (requires the list and an email or phone)', async () => {
    const sub = (attributes: Record<string, unknown>, list: string | null = 'XyZ789') => ({
      data: {
        type: 'subscription',
        attributes: { custom_source: 'footer', profile: { data: { type: 'profile', attributes } } },
        ...(list ? { relationships: { list: { data: { type: 'list', id: list } } } } : {}),
      },
    })
    const noList = await client('/client/subscriptions', sub({ email: 'sub@example.com' }, null))
    expect(noList.status).toBe(400)
    expect((await errorOf(noList)).source).toEqual({ pointer: '/data/relationships/list' })
    const noEmail = await client('/client/subscriptions', sub({ external_id: 'u9' }))
    expect(noEmail.status).toBe(400)
    const badEmail = await client('/client/subscriptions', sub({ email: 'x@' }))
    expect(badEmail.status).toBe(400)

    expect((await client('/client/subscriptions', sub({ email: 'sub@example.com' }))).status).toBe(202)
    const p = sandbox.klaviyo.store.findProfile({ email: 'sub@example.com' })!
    expect(p.lists.XyZ789).toMatchObject({ consent: 'SUBSCRIBED', channel: 'email', customSource: 'footer' })
  })

  it('records client events against a metric and profile', async () => {
    const res = await client('/client/events', {
      data: {
        type: 'event',
        attributes: {
          properties: { path: '/cart' },
          time: '2026-07-01T12:00:00.500Z',
          metric: { data: { type: 'metric', attributes: { name: 'Viewed Page' } } },
          profile: { data: { type: 'profile', attributes: { anonymous_id: 'anon-7777' } } },
        },
      },
    })
    expect(res.status).toBe(202)
    const [e] = sandbox.klaviyo.store.events()
    expect(e).toMatchObject({ datetime: '2026-07-01T12:00:00+00:00', timestamp: 1782907200, event_properties: { path: '/cart' } })
    expect(sandbox.klaviyo.store.getMetric(e.metric_id)?.integration.key).toBe('api')
    expect(sandbox.klaviyo.store.getProfile(e.profile_id)?.anonymous_id).toBe('anon-7777')
  })

  it('answers CORS preflights for the browser SDK', async () => {
    const res = await fetch(`${sandbox.klaviyo.url}/client/profiles?company_id=${COMPANY}`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8080', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,revision' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8080')
    expect(res.headers.get('access-control-allow-headers')).toMatch(/revision/)
  })

  it('can fail client requests on demand (scope client), leaving the server API alone', async () => {
    sandbox.klaviyo.setFault({ status: 429, count: 1, retryAfter: 3, scope: 'client' })
    const limited = await client('/client/profiles', profileBody({ email: 'r@example.com' }))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    expect((await client('/client/profiles', profileBody({ email: 'r@example.com' }))).status).toBe(202)
  })
})

describe('server API through the real klaviyo-api client', () => {
  function seed() {
    const store = sandbox.klaviyo.store
    const ada = store.createOrUpdateProfile({ email: 'ada@example.com', external_id: 'u1', anonymous_id: 'anon-ada', properties: { segment_anonymous_id: 'anon-ada' } }).profile
    const bob = store.createOrUpdateProfile({ email: 'bob@example.com' }).profile
    const base = Date.parse('2026-07-01T00:00:00Z')
    for (let i = 0; i < 5; i++) store.recordEvent({ metricName: 'Opened Email', profileId: i % 2 ? bob.id : ada.id, time: base + i * 60_000, properties: { Subject: `Hello ${i}`, $message: `m${i}` } })
    store.recordEvent({ metricName: 'Clicked Email', profileId: ada.id, time: base + 30_000, properties: { URL: 'https://shop.example/' } })
    store.recordEvent({ metricName: 'Viewed Page', profileId: ada.id, time: base, properties: {} })
    return { ada, bob, base }
  }

  it('lists Klaviyo metrics filtered by integration', async () => {
    seed()
    const { metrics } = apis()
    const { body } = await metrics.getMetrics({ filter: 'equals(integration.name,"Klaviyo")', fieldsMetric: ['name', 'integration'] })
    expect(body.data.map((m) => m.attributes.name).sort()).toEqual(['Clicked Email', 'Opened Email'])
    expect(body.data[0].attributes.integration).toMatchObject({ key: 'klaviyo', name: 'Klaviyo', category: 'Internal' })
    expect(body.data[0].attributes.created).toBeUndefined()
  })

  it('pages events with included profiles, whichever form of cursor the caller passes', async () => {
    const { ada } = seed()
    const { events, metrics } = apis()
    const metricId = (await metrics.getMetrics({ filter: 'equals(integration.name,"Klaviyo")' })).body.data.find((m) => m.attributes.name === 'Opened Email')!.id
    const query = {
      filter: `equals(metric_id,"${metricId}"),greater-or-equal(datetime,2026-07-01T00:00:00Z),less-than(datetime,2026-07-01T00:04:00Z)`,
      include: ['profile'] as Array<'profile'>,
      fieldsEvent: ['datetime', 'timestamp', 'event_properties'] as Array<'datetime' | 'timestamp' | 'event_properties'>,
      fieldsProfile: ['email', 'external_id', 'properties'] as Array<'email' | 'external_id' | 'properties'>,
      sort: 'datetime' as const,
      pageSize: 2,
    }
    const first = await events.getEvents(query)
    expect(first.body.data.map((e) => e.attributes.eventProperties)).toEqual([
      { Subject: 'Hello 0', $message: 'm0', $event_id: '1782864000' },
      { Subject: 'Hello 1', $message: 'm1', $event_id: '1782864060' },
    ])
    expect(first.body.data[0].attributes.datetime).toBeInstanceOf(Date)
    expect(first.body.data[0].attributes.uuid).toBeUndefined()
    expect(first.body.data[0].relationships?.profile?.data?.id).toBe(ada.id)
    const inc = first.body.included!.find((x) => x.id === ada.id) as ProfileResponseObjectResource
    expect(inc.type).toBe('profile')
    expect(inc.attributes).toMatchObject({ email: 'ada@example.com', externalId: 'u1', properties: { segment_anonymous_id: 'anon-ada' } })
    expect(JSON.stringify(first.response.data)).not.toMatch(/"anonymous_id"|"_kx"/)

    // The SDK forwards an http `links.next` whole; the emulator extracts the cursor itself.
    const next = first.body.links!.next!
    expect(next).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/events\/\?.*page%5Bcursor%5D=/)
    const second = await events.getEvents({ ...query, pageCursor: next })
    // …and a bare cursor (what the relay sends) works too, even without repeating the filter.
    const bare = new URL(next).searchParams.get('page[cursor]')!
    const secondBare = await events.getEvents({ pageCursor: bare, include: ['profile'] })
    expect(second.body.data.map((e) => e.id)).toEqual(secondBare.body.data.map((e) => e.id))
    expect(second.body.data.map((e) => e.attributes.eventProperties)).toEqual([
      { Subject: 'Hello 2', $message: 'm2', $event_id: '1782864120' },
      { Subject: 'Hello 3', $message: 'm3', $event_id: '1782864180' },
    ])
    expect(second.body.links?.next).toBeNull()

    const desc = await events.getEvents({ sort: '-datetime', filter: `equals(metric_id,"${metricId}")` })
    expect(desc.body.data.map((e) => (e.attributes.eventProperties as { Subject: string }).Subject)).toEqual(['Hello 4', 'Hello 3', 'Hello 2', 'Hello 1', 'Hello 0'])
  })

  it('resolves profiles by email, external_id and _kx, and by id', async () => {
    const { ada } = seed()
    const { profiles } = apis()
    const byEmail = await profiles.getProfiles({ filter: 'equals(email,"ADA@example.com")' })
    expect(byEmail.body.data.map((p) => p.id)).toEqual([ada.id])
    // An email no profile has: 200 with an empty list, as for any filter that matches nothing.
    const unknown = await profiles.getProfiles({ filter: 'equals(email,"nobody@example.com")' })
    expect(unknown.response.status).toBe(200)
    expect(unknown.body.data).toEqual([])
    // Get Profiles allows only greater-than / less-than on created and updated.
    await expect(profiles.getProfiles({ filter: 'greater-or-equal(created,2026-01-01T00:00:00Z)' })).rejects.toSatisfy((e) => statusOf(e) === 400)
    expect((await profiles.getProfiles({ filter: 'greater-than(created,2000-01-01T00:00:00Z)' })).body.data.map((p) => p.id)).toContain(ada.id)
    const byExt = await profiles.getProfiles({ filter: 'any(external_id,["u1","nope"])' })
    expect(byExt.body.data.map((p) => p.id)).toEqual([ada.id])
    const byKx = await profiles.getProfiles({ filter: `equals(_kx,"${ada._kx}")` })
    expect(byKx.body.data.map((p) => p.id)).toEqual([ada.id])
    const one = await profiles.getProfile(ada.id)
    expect(one.body.data.attributes.email).toBe('ada@example.com')
    expect(JSON.stringify(one.response.data)).not.toMatch(/"anonymous_id"|"_kx"/)
    await expect(profiles.getProfile('01NOPE')).rejects.toSatisfy((e) => statusOf(e) === 404)
  })

  it('refuses a bad key (401), an unscoped key (403), missing revision and bad filters (400)', async () => {
    await expect(apis('pk_wrong').events.getEvents()).rejects.toSatisfy((e) => statusOf(e) === 401)
    await expect(apis('pk_noscope').metrics.getMetrics()).rejects.toSatisfy((e) => statusOf(e) === 403)
    const noRev = await fetch(`${sandbox.klaviyo.url}/api/events`, { headers: { Authorization: 'Klaviyo-API-Key pk_test' } })
    expect(noRev.status).toBe(400)
    const noAuth = await fetch(`${sandbox.klaviyo.url}/api/events`, { headers: { revision: REVISION } })
    expect(noAuth.status).toBe(401)
    expect((await errorOf(noAuth)).code).toBe('not_authenticated')
    await expect(apis().events.getEvents({ filter: 'equals(name,"x")' })).rejects.toSatisfy((e) => statusOf(e) === 400)
    await expect(apis().events.getEvents({ filter: 'equals(metric_id,' })).rejects.toSatisfy((e) => statusOf(e) === 400)
    await expect(apis().events.getEvents({ pageSize: 1001 })).rejects.toSatisfy((e) => statusOf(e) === 400)
  })

  it('writes profiles and events server-side (identifiers may change; collisions are 409)', async () => {
    const { profiles, events } = apis()
    const created = await profiles.createOrUpdateProfile({ data: { type: 'profile', attributes: { email: 'srv@example.com', externalId: 'u7', properties: { plan: 'pro' } } } })
    expect(created.response.status).toBe(201)
    const id = created.body.data.id!
    const again = await profiles.createOrUpdateProfile({ data: { type: 'profile', attributes: { email: 'srv@example.com', externalId: 'u8' } } })
    expect(again.response.status).toBe(200)
    expect(again.body.data.attributes.externalId).toBe('u8')
    await profiles.updateProfile(id, { data: { type: 'profile', id, attributes: { email: 'new@example.com' } } })
    expect(sandbox.klaviyo.store.getProfile(id)).toMatchObject({ email: 'new@example.com', external_id: 'u8', properties: { plan: 'pro' } })
    sandbox.klaviyo.store.createOrUpdateProfile({ email: 'taken@example.com' })
    type Rejection = { response: { status: number; data: { errors: Array<{ code: string; meta: Record<string, string> }> } } }
    const clash = await profiles.updateProfile(id, { data: { type: 'profile', id, attributes: { email: 'taken@example.com', externalId: 'u9' } } }).then(
      () => undefined,
      (e: Rejection) => e.response,
    )
    expect(clash?.status).toBe(409)
    expect(clash?.data.errors[0].code).toBe('duplicate_profile')
    expect(sandbox.klaviyo.store.getProfile(id)?.external_id).toBe('u8')
    const ev = await events.createEvent({
      data: {
        type: 'event',
        attributes: {
          properties: { Subject: 'Hi' },
          metric: { data: { type: 'metric', attributes: { name: 'Received Email' } } },
          profile: { data: { type: 'profile', attributes: { email: 'new@example.com' } } },
        },
      },
    })
    expect(ev.response.status).toBe(202)
    expect(sandbox.klaviyo.store.events().map((e) => e.profile_id)).toEqual([id])
  })

  it('can answer 200 with a body that is not a JSON:API document (fault injection), for the given path and count', async () => {
    seed()
    const get = (path: string) => fetch(`${sandbox.klaviyo.url}${path}`, { headers: { authorization: 'Klaviyo-API-Key pk_test', revision: REVISION, accept: 'application/vnd.api+json' } })
    sandbox.klaviyo.setMalformed({ answer: 'html', path: '/api/events' })
    // Another path is served as usual, and does not use up the fault.
    expect(((await (await get('/api/metrics')).json()) as { data: unknown[] }).data.length).toBeGreaterThan(0)
    const page = await get('/api/events')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await page.text()).toMatch(/^<!DOCTYPE html>/)
    // Used up: the next call is a real document again.
    expect(Array.isArray(((await (await get('/api/events')).json()) as { data: unknown }).data)).toBe(true)

    sandbox.klaviyo.setMalformed({ answer: 'data_not_a_list', count: 2 })
    expect(await (await get('/api/events')).json()).toEqual({ data: 'nope' })
    expect(await (await get('/api/profiles')).json()).toEqual({ data: 'nope' })
    expect(Array.isArray(((await (await get('/api/profiles')).json()) as { data: unknown }).data)).toBe(true)
    expect(sandbox.klaviyo.serverRequests().map((r) => r.status).every((st) => st === 200)).toBe(true)
  })

  it("honours Retry-After through the client's own retry", async () => {
    seed()
    sandbox.klaviyo.setFault({ status: 429, count: 1, retryAfter: 1 })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const call = apis().events.getEvents({ pageSize: 3 })
      await vi.waitFor(() => expect(sandbox.klaviyo.serverRequests().map((r) => r.status)).toEqual([429]))
      await advanceUntil(() => sandbox.klaviyo.serverRequests().length === 2, 100, 5000)
      const { body } = await call
      expect(body.data).toHaveLength(3)
      const [limited, retried] = sandbox.klaviyo.serverRequests()
      expect(retried!.status).toBe(200)
      // The log is stamped with the (fake) clock: the retry came a full Retry-After second later.
      expect(Date.parse(retried!.at) - Date.parse(limited!.at)).toBeGreaterThanOrEqual(1000)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('synthetic bulk mode', () => {
  it('pages a metric out of 1,000,000 generated events without materialising them', async () => {
    sandbox.klaviyo.store.seedSynthetic({ profiles: 10_000, events: 1_000_000, start: new Date('2026-01-01T00:00:00Z') })
    expect(sandbox.klaviyo.store.events()).toHaveLength(0)
    expect(sandbox.klaviyo.store.eventCount()).toBe(1_000_000)
    const { events, metrics } = apis()
    const clicked = (await metrics.getMetrics({ filter: 'equals(integration.name,"Klaviyo")' })).body.data.find((m) => m.attributes.name === 'Clicked Email')!.id
    // A window deep in the range: events 600,000 … 600,059; clicks are i % 6 == 2 (600,002, 600,008, …).
    const from = new Date(Date.parse('2026-01-01T00:00:00Z') + 600_000 * 1000).toISOString()
    const to = new Date(Date.parse('2026-01-01T00:00:00Z') + 600_060 * 1000).toISOString()
    const filter = `equals(metric_id,"${clicked}"),greater-or-equal(datetime,${from}),less-than(datetime,${to})`
    const ids: string[] = []
    let cursor: string | undefined
    for (let pages = 0; pages < 10; pages++) {
      const { body } = await events.getEvents({ filter, include: ['profile'], sort: 'datetime', pageSize: 4, pageCursor: cursor })
      ids.push(...body.data.map((e) => e.id))
      for (const e of body.data) {
        expect(e.relationships?.metric?.data?.id).toBe(clicked)
        expect((e.attributes.eventProperties as { URL?: string }).URL).toMatch(/^https:\/\/shop\.example\//)
        expect(body.included?.some((p) => p.id === e.relationships?.profile?.data?.id)).toBe(true)
      }
      cursor = body.links?.next ? new URL(body.links.next).searchParams.get('page[cursor]')! : undefined
      if (!cursor) break
    }
    expect(ids).toHaveLength(10)
    expect(new Set(ids).size).toBe(10)
    const first = sandbox.klaviyo.store.getEvent(ids[0])!
    expect(first.datetime).toBe(new Date(Date.parse(from) + 2000).toISOString().replace('.000Z', '+00:00'))
    const profile = sandbox.klaviyo.store.getProfile(first.profile_id)!
    expect(profile.email).toMatch(/^synthetic\.\d+@example\.com$/)
    expect(sandbox.klaviyo.store.findProfile({ email: profile.email! })?.id).toBe(profile.id)
  })
})
