/** The server API's admission rules, as Klaviyo documents them: revision, scopes, rate limits. */
import { afterEach, describe, expect, it } from 'vitest'
import { startKlaviyoEmulator, type KlaviyoEmulator } from '../klaviyo-emulator'

let emulator: KlaviyoEmulator | undefined
afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

function get(path: string, key = 'pk_test', revision = '2026-07-15') {
  return fetch(`${emulator!.url}${path}`, { headers: { authorization: `Klaviyo-API-Key ${key}`, revision, accept: 'application/vnd.api+json' } })
}

describe('Klaviyo emulator server API', () => {
  it('refuses a revision Klaviyo never published (400), accepts published ones and their .pre', async () => {
    emulator = await startKlaviyoEmulator({ privateKeys: ['pk_test'] })
    expect((await get('/api/metrics', 'pk_test', '2026-07-15')).status).toBe(200)
    expect((await get('/api/metrics', 'pk_test', '2024-10-15.pre')).status).toBe(200)
    const bad = await get('/api/metrics', 'pk_test', '2026-07-16')
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await bad.json())).toMatch(/not a published API revision/)
  })

  it('answers 403 naming the scope a key lacks, per endpoint', async () => {
    emulator = await startKlaviyoEmulator({ privateKeys: ['pk_test', 'pk_metrics'], keyScopes: { pk_metrics: ['metrics:read'] } })
    expect((await get('/api/metrics', 'pk_metrics')).status).toBe(200)
    const events = await get('/api/events', 'pk_metrics')
    expect(events.status).toBe(403)
    expect(JSON.stringify(await events.json())).toContain('events:read')
    expect((await get('/api/profiles', 'pk_metrics')).status).toBe(403)
    expect((await get('/api/webhook-topics', 'pk_metrics')).status).toBe(403)
    expect((await get('/api/events', 'pk_test')).status).toBe(200) // unlisted keys hold every scope
  })

  it('throttles each endpoint at its documented burst with 429 + Retry-After, and reports RateLimit-* otherwise', async () => {
    let t = 1_000_000
    emulator = await startKlaviyoEmulator({ privateKeys: ['pk_test'], now: () => t })
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) statuses.push((await get('/api/metrics')).status)
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200)) // Get Metrics: M tier, 10/s burst
    const throttled = await get('/api/metrics')
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('retry-after')).toBe('1')
    expect(JSON.stringify(await throttled.json())).toMatch(/throttled/)
    // Another endpoint has its own window; the next second the burst window is open again.
    expect((await get('/api/events')).status).toBe(200)
    t += 1000
    const ok = await get('/api/metrics')
    expect(ok.status).toBe(200)
    expect(ok.headers.get('ratelimit-limit')).toBe('150')
    expect(Number(ok.headers.get('ratelimit-remaining'))).toBe(150 - 11)
  })

  it('lists webhook topics and the account', async () => {
    emulator = await startKlaviyoEmulator({ privateKeys: ['pk_test'], webhookTopics: ['event:klaviyo.opened_email'] })
    const topics = (await (await get('/api/webhook-topics')).json()) as { data: Array<{ id: string; attributes: { name: string } }> }
    expect(topics.data).toEqual([expect.objectContaining({ id: 'event:klaviyo.opened_email', attributes: { name: 'Opened Email' } })])
    const accounts = (await (await get('/api/accounts')).json()) as { data: Array<{ type: string; id: string }> }
    expect(accounts.data[0]).toMatchObject({ type: 'account', id: emulator.store.accountId })
  })
})
