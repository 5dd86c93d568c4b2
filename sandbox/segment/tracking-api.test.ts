/** The collector answers as Segment's HTTP Tracking API does (see rules.ts for the pages). */
import { afterEach, describe, expect, it } from 'vitest'
import { startSegmentCollector, type SegmentCollector } from '../segment-collector'

let collector: SegmentCollector | undefined
afterEach(async () => {
  await collector?.close()
  collector = undefined
})

const track = (over: Record<string, unknown> = {}) => ({ type: 'track', event: 'Email Opened', anonymousId: 'a1', messageId: `m-${Math.random()}`, ...over })
function post(path: string, body: unknown, key?: string) {
  return fetch(`${collector!.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describe('Segment collector tracking API', () => {
  it('answers 200 {"success":true} to an unknown or missing write key and shows the events as dropped', async () => {
    collector = await startSegmentCollector({ writeKeys: ['wk_good'] })
    const typo = await post('/v1/batch', { batch: [track(), track()] }, 'wk_goood')
    expect(typo.status).toBe(200)
    expect(await typo.json()).toEqual({ success: true })
    const none = await post('/v1/track', track())
    expect(none.status).toBe(200)
    expect(collector.events()).toHaveLength(0)
    expect(collector.rejected().map((r) => r.reason)).toEqual(['unknown_write_key', 'unknown_write_key', 'missing_write_key'])
    // The same events under the right key arrive.
    expect((await post('/v1/batch', { batch: [track()] }, 'wk_good')).status).toBe(200)
    expect(collector.events()).toHaveLength(1)
  })

  it('answers 400 to an oversize request or event and to bad JSON, keeping nothing of it', async () => {
    collector = await startSegmentCollector({ writeKeys: ['wk_good'] })
    const big = 'x'.repeat(33 * 1024)
    expect((await post('/v1/track', track({ properties: { big } }), 'wk_good')).status).toBe(400)
    expect((await post('/v1/batch', { batch: [track(), track({ properties: { big } })] }, 'wk_good')).status).toBe(400)
    const many = Array.from({ length: 20 }, () => track({ properties: { pad: 'y'.repeat(30 * 1024) } }))
    expect((await post('/v1/batch', { batch: many }, 'wk_good')).status).toBe(400)
    expect((await post('/v1/batch', '{"batch":[', 'wk_good')).status).toBe(400)
    // Oversize is refused whatever the key.
    expect((await post('/v1/batch', { batch: [track({ properties: { big } })] }, 'wk_typo')).status).toBe(400)
    expect(collector.events()).toHaveLength(0)
    expect(collector.rejected()).toHaveLength(0)
  })
})
