import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { computeKlaviyoSignature, parseKlaviyoTimestamp, verifyKlaviyoSignature } from './signature'

const secret = 'whsec_test_123'
const body = '{"data":[],"meta":{"klaviyo_webhook_id":"wh1"}}'
const now = Date.parse('2026-04-14T03:50:12Z')
const httpDate = 'Tue, 14 Apr 2026 03:50:12 GMT'

describe('computeKlaviyoSignature', () => {
  it('is hex HMAC-SHA256 over body + timestamp with no separator', () => {
    const expected = createHmac('sha256', secret).update(body + httpDate).digest('hex')
    expect(computeKlaviyoSignature(body, httpDate, secret)).toBe(expected)
    expect(computeKlaviyoSignature(Buffer.from(body), httpDate, secret)).toBe(expected)
  })
})

describe('parseKlaviyoTimestamp', () => {
  it('accepts HTTP-date, ISO 8601, epoch seconds and epoch ms', () => {
    expect(parseKlaviyoTimestamp(httpDate)).toBe(now)
    expect(parseKlaviyoTimestamp('2026-04-14T03:50:12Z')).toBe(now)
    expect(parseKlaviyoTimestamp('2026-04-14T03:50:12.000+00:00')).toBe(now)
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
  const sign = (ts: string, b = body, s = secret) => computeKlaviyoSignature(b, ts, s)

  it('accepts a correct signature for each timestamp format', () => {
    for (const ts of [httpDate, '2026-04-14T03:50:12Z', String(now / 1000)]) {
      expect(verifyKlaviyoSignature({ rawBody: body, signature: sign(ts), timestamp: ts, secret, now })).toEqual({ ok: true, timestampMs: now })
    }
  })

  it('accepts upper-case hex, a sha256= prefix, and any of several signatures', () => {
    const sig = sign(httpDate)
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sig.toUpperCase(), timestamp: httpDate, secret, now }).ok).toBe(true)
    expect(verifyKlaviyoSignature({ rawBody: body, signature: `sha256=${sig}`, timestamp: httpDate, secret, now }).ok).toBe(true)
    expect(verifyKlaviyoSignature({ rawBody: body, signature: `${'0'.repeat(64)}, ${sig}`, timestamp: httpDate, secret, now }).ok).toBe(true)
  })

  it('accepts any secret during a rotation', () => {
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sign(httpDate, body, 'new'), timestamp: httpDate, secret: ['old', 'new'], now }).ok).toBe(true)
  })

  it('rejects a wrong secret, a changed body, a changed timestamp', () => {
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sign(httpDate, body, 'other'), timestamp: httpDate, secret, now })).toEqual({ ok: false, reason: 'bad_signature' })
    expect(verifyKlaviyoSignature({ rawBody: body + ' ', signature: sign(httpDate), timestamp: httpDate, secret, now })).toEqual({ ok: false, reason: 'bad_signature' })
    const otherTs = 'Tue, 14 Apr 2026 03:50:13 GMT'
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sign(httpDate), timestamp: otherTs, secret, now })).toEqual({ ok: false, reason: 'bad_signature' })
  })

  it('rejects signatures that are not 64 hex digits without throwing', () => {
    for (const signature of ['abc', 'zz'.repeat(32), sign(httpDate).slice(0, 63), Buffer.from('x').toString('base64')]) {
      expect(verifyKlaviyoSignature({ rawBody: body, signature, timestamp: httpDate, secret, now })).toEqual({ ok: false, reason: 'bad_signature' })
    }
  })

  it('rejects missing headers and unparsable timestamps', () => {
    expect(verifyKlaviyoSignature({ rawBody: body, signature: undefined, timestamp: httpDate, secret, now })).toEqual({ ok: false, reason: 'missing_signature' })
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sign(httpDate), timestamp: '', secret, now })).toEqual({ ok: false, reason: 'missing_timestamp' })
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sign('soon'), timestamp: 'soon', secret, now })).toEqual({ ok: false, reason: 'bad_timestamp' })
  })

  it('rejects timestamps outside the 5 minute window, either side', () => {
    const old = new Date(now - 301_000).toUTCString()
    const future = new Date(now + 301_000).toUTCString()
    const edge = new Date(now - 299_000).toUTCString()
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sign(old), timestamp: old, secret, now })).toEqual({ ok: false, reason: 'stale_timestamp' })
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sign(future), timestamp: future, secret, now })).toEqual({ ok: false, reason: 'stale_timestamp' })
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sign(edge), timestamp: edge, secret, now }).ok).toBe(true)
    expect(verifyKlaviyoSignature({ rawBody: body, signature: sign(old), timestamp: old, secret, now, toleranceSeconds: 600 }).ok).toBe(true)
  })
})
