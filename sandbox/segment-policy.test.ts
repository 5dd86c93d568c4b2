import { describe, expect, it } from 'vitest'
import { MAX_BATCH_BYTES, answerSegmentRequest } from './segment-policy'

const known = (k: string) => k === 'wk_good'
const track = (over: Record<string, unknown> = {}) => ({ type: 'track', event: 'Email Opened', anonymousId: 'a1', messageId: 'm1', ...over })

describe('answerSegmentRequest (Segment HTTP API, as documented)', () => {
  it('accepts events under a known write key', () => {
    const a = answerSegmentRequest({ kind: 'batch', body: JSON.stringify({ batch: [track()] }), writeKey: 'wk_good', knownKey: known })
    expect(a).toMatchObject({ status: 200, body: { success: true } })
    expect(a.events).toEqual([{ event: track() }])
  })

  it('answers 200 {"success":true} to an unknown or missing write key, and drops every event', () => {
    for (const [writeKey, reason] of [['wk_typo', 'unknown_write_key'], [undefined, 'missing_write_key']] as const) {
      const a = answerSegmentRequest({ kind: 'batch', body: JSON.stringify({ batch: [track(), track({ messageId: 'm2' })] }), writeKey, knownKey: known })
      expect(a.status).toBe(200)
      expect(a.body).toEqual({ success: true })
      expect(a.events.map((e) => e.dropped)).toEqual([reason, reason])
    }
    // The key may also travel in the body.
    const inBody = answerSegmentRequest({ kind: 'track', body: JSON.stringify({ ...track(), writeKey: 'wk_good' }), writeKey: undefined, knownKey: known })
    expect(inBody.events[0].dropped).toBeUndefined()
  })

  it('drops (still 200) events without an identifier and tracks without a name', () => {
    const a = answerSegmentRequest({ kind: 'batch', body: JSON.stringify({ batch: [track({ anonymousId: undefined }), track({ event: '' }), track()] }), writeKey: 'wk_good', knownKey: known })
    expect(a.status).toBe(200)
    expect(a.events.map((e) => e.dropped)).toEqual(['no_identifier', 'track_without_event', undefined])
  })

  it('answers 400 to oversize requests and events, and to bad JSON; nothing of them is kept', () => {
    const big = 'x'.repeat(40 * 1024)
    expect(answerSegmentRequest({ kind: 'track', body: JSON.stringify(track({ properties: { big } })), writeKey: 'wk_good', knownKey: known })).toMatchObject({ status: 400, events: [] })
    expect(answerSegmentRequest({ kind: 'batch', body: JSON.stringify({ batch: [track({ properties: { big } })] }), writeKey: 'wk_good', knownKey: known }).status).toBe(400)
    const many = Array.from({ length: 30 }, (_, i) => track({ messageId: `m${i}`, properties: { pad: 'y'.repeat(20 * 1024) } }))
    const body = JSON.stringify({ batch: many })
    expect(body.length).toBeGreaterThan(MAX_BATCH_BYTES)
    expect(answerSegmentRequest({ kind: 'batch', body, writeKey: 'wk_good', knownKey: known }).status).toBe(400)
    expect(answerSegmentRequest({ kind: 'batch', body: '{"batch":[', writeKey: 'wk_good', knownKey: known }).status).toBe(400)
    // Oversize is a 400 whatever the key: the size check comes first.
    expect(answerSegmentRequest({ kind: 'batch', body, writeKey: 'wk_typo', knownKey: known }).status).toBe(400)
  })
})
