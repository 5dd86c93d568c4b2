import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { computeKlaviyoSignature, DEFAULT_TOLERANCE_SECONDS, parseKlaviyoTimestamp, verifyKlaviyoSignature } from './signature'

const secret = 'whsec_test_123'
const body = '{"data":[],"meta":{"klaviyo_webhook_id":"wh1"}}'
const now = Date.parse('2026-04-14T03:50:12Z')
const httpDate = 'Tue, 14 Apr 2026 03:50:12 GMT'
/** Independent reference: node:crypto, hex HMAC-SHA256 over body + timestamp. */
const sign = (ts: string, b = body, s = secret) => createHmac('sha256', s).update(b + ts).digest('hex')

describe('computeKlaviyoSignature', () => {
  it('is hex HMAC-SHA256 over body + timestamp with no separator, for text and bytes', async () => {
    expect(await computeKlaviyoSignature(body, httpDate, secret)).toBe(sign(httpDate))
    expect(await computeKlaviyoSignature(new TextEncoder().encode(body), httpDate, secret)).toBe(sign(httpDate))
  })
})

describe('parseKlaviyoTimestamp', () => {
  it('accepts HTTP-date, ISO 8601 (also with a space), epoch seconds and epoch ms', () => {
    expect(parseKlaviyoTimestamp(httpDate)).toBe(now)
    expect(parseKlaviyoTimestamp('2026-04-14T03:50:12Z')).toBe(now)
    expect(parseKlaviyoTimestamp('2026-04-14 03:50:12+00:00')).toBe(now)
    expect(parseKlaviyoTimestamp(String(now / 1000))).toBe(now)
    expect(parseKlaviyoTimestamp(String(now))).toBe(now)
    expect(parseKlaviyoTimestamp('1776138612.5')).toBe(1776138612500)
  })
  it('rejects garbage', () => {
    expect(parseKlaviyoTimestamp('')).toBeUndefined()
    expect(parseKlaviyoTimestamp('yesterday-ish')).toBeUndefined()
  })
})

describe('verifyKlaviyoSignature', () => {
  const verify = (o: Partial<Parameters<typeof verifyKlaviyoSignature>[0]>) => verifyKlaviyoSignature({ rawBody: body, signature: sign(httpDate), timestamp: httpDate, secret, now, ...o })

  it('accepts a correct signature for each timestamp format, over text or bytes', async () => {
    for (const ts of [httpDate, '2026-04-14T03:50:12Z', String(now / 1000)]) {
      expect(await verify({ signature: sign(ts), timestamp: ts })).toEqual({ ok: true, timestampMs: now })
    }
    expect((await verify({ rawBody: new TextEncoder().encode(body) })).ok).toBe(true)
  })

  it('accepts upper-case hex, a sha256= prefix, and any of several signatures', async () => {
    const sig = sign(httpDate)
    expect((await verify({ signature: sig.toUpperCase() })).ok).toBe(true)
    expect((await verify({ signature: `sha256=${sig}` })).ok).toBe(true)
    expect((await verify({ signature: `${'0'.repeat(64)}, ${sig}` })).ok).toBe(true)
  })

  it('accepts any secret during a rotation', async () => {
    expect((await verify({ signature: sign(httpDate, body, 'new'), secret: ['old', 'new'] })).ok).toBe(true)
  })

  it('rejects a wrong secret, a changed body, a changed timestamp', async () => {
    expect(await verify({ signature: sign(httpDate, body, 'other') })).toEqual({ ok: false, reason: 'bad_signature' })
    expect(await verify({ rawBody: body + ' ' })).toEqual({ ok: false, reason: 'bad_signature' })
    expect(await verify({ timestamp: 'Tue, 14 Apr 2026 03:50:13 GMT' })).toEqual({ ok: false, reason: 'bad_signature' })
    expect(await verify({ secret: [] })).toEqual({ ok: false, reason: 'bad_signature' })
  })

  it('rejects signatures that are not 64 hex digits without throwing', async () => {
    for (const signature of ['abc', 'zz'.repeat(32), sign(httpDate).slice(0, 63), Buffer.from('x').toString('base64')]) {
      expect(await verify({ signature })).toEqual({ ok: false, reason: 'bad_signature' })
    }
  })

  it('rejects missing headers and unparsable timestamps', async () => {
    expect(await verify({ signature: undefined })).toEqual({ ok: false, reason: 'missing_signature' })
    expect(await verify({ timestamp: '' })).toEqual({ ok: false, reason: 'missing_timestamp' })
    expect(await verify({ signature: sign('soon'), timestamp: 'soon' })).toEqual({ ok: false, reason: 'bad_timestamp' })
  })

  it('keeps Klaviyo retries of a delivery signed hours ago, refuses past 12 hours and more than 5 minutes ahead', async () => {
    expect(DEFAULT_TOLERANCE_SECONDS).toBe(12 * 3600)
    expect(DEFAULT_TOLERANCE_SECONDS * 2).toBeLessThanOrEqual(24 * 3600) // well inside Segment's 24 h dedupe
    const at = (offsetMs: number) => new Date(now + offsetMs).toUTCString()
    const check = (ts: string, extra = {}) => verify({ signature: sign(ts), timestamp: ts, ...extra })
    expect((await check(at(-6 * 3600_000))).ok).toBe(true)
    expect((await check(at(-12 * 3600_000 + 1000))).ok).toBe(true)
    expect(await check(at(-12 * 3600_000 - 1000))).toEqual({ ok: false, reason: 'stale_timestamp' })
    expect((await check(at(4 * 60_000))).ok).toBe(true)
    expect(await check(at(6 * 60_000))).toEqual({ ok: false, reason: 'future_timestamp' })
    expect(await check(at(-301_000), { toleranceSeconds: 300 })).toEqual({ ok: false, reason: 'stale_timestamp' })
  })
})
