/**
 * Klaviyo system-webhook authentication: `Klaviyo-Signature` is the hex HMAC-SHA256, keyed with the
 * webhook's secret_key, of the raw body bytes followed directly by the `Klaviyo-Timestamp` header
 * value. The timestamp is checked against a replay window because the signature alone never expires.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** Default replay window: a request signed more than 5 minutes away from now is refused. */
export const DEFAULT_TOLERANCE_SECONDS = 300

/** Why a webhook request was not authenticated. */
export type SignatureFailure =
  | 'missing_signature'
  | 'missing_timestamp'
  | 'bad_timestamp'
  | 'stale_timestamp'
  | 'bad_signature'

/** Result of {@link verifyKlaviyoSignature}. */
export type SignatureCheck = { ok: true; timestampMs: number } | { ok: false; reason: SignatureFailure }

/** Input of {@link verifyKlaviyoSignature}. */
export interface VerifyInput {
  /** The exact request body bytes as received (never a re-serialised JSON). */
  rawBody: Uint8Array | string
  /** `Klaviyo-Signature` header value. */
  signature: string | undefined | null
  /** `Klaviyo-Timestamp` header value, verbatim. */
  timestamp: string | undefined | null
  /** Webhook secret_key; several during a rotation. */
  secret: string | readonly string[]
  /** Replay window in seconds (default 300). */
  toleranceSeconds?: number
  /** Current time in ms (tests). */
  now?: number
}

/** Hex HMAC-SHA256 of `rawBody + timestamp` keyed with `secret`, as Klaviyo computes it. */
export function computeKlaviyoSignature(rawBody: Uint8Array | string, timestamp: string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).update(timestamp, 'utf8').digest('hex')
}

/**
 * Parse a `Klaviyo-Timestamp` value to epoch ms. Klaviyo's documentation shows an HTTP-date; ISO 8601
 * and epoch seconds (or ms) are also accepted because the exact format is not pinned anywhere.
 */
export function parseKlaviyoTimestamp(value: string): number | undefined {
  const v = value.trim()
  if (!v) return undefined
  if (/^\d+(\.\d+)?$/.test(v)) {
    const n = Number(v)
    // 13+ digits is milliseconds; anything shorter is seconds.
    return v.split('.')[0].length >= 13 ? n : n * 1000
  }
  const ms = Date.parse(v) // handles RFC 7231 HTTP-date and ISO 8601
  return Number.isNaN(ms) ? undefined : ms
}

/** Verify a Klaviyo webhook signature and timestamp window in constant time. */
export function verifyKlaviyoSignature(input: VerifyInput): SignatureCheck {
  const { rawBody, signature, timestamp } = input
  if (!signature || !signature.trim()) return { ok: false, reason: 'missing_signature' }
  if (!timestamp || !timestamp.trim()) return { ok: false, reason: 'missing_timestamp' }
  const ts = parseKlaviyoTimestamp(timestamp)
  if (ts === undefined) return { ok: false, reason: 'bad_timestamp' }
  const now = input.now ?? Date.now()
  const tolerance = (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS) * 1000
  if (Math.abs(now - ts) > tolerance) return { ok: false, reason: 'stale_timestamp' }

  const candidates = signatureCandidates(signature)
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret
  let matched = false
  for (const secret of secrets) {
    if (!secret) continue
    const expected = createHmac('sha256', secret).update(rawBody).update(timestamp, 'utf8').digest()
    for (const c of candidates) {
      // Every comparison runs (no early exit) so timing does not reveal which candidate matched.
      if (c.length === expected.length && timingSafeEqual(c, expected)) matched = true
    }
  }
  return matched ? { ok: true, timestampMs: ts } : { ok: false, reason: 'bad_signature' }
}

/** Decode the header: one hex digest, optionally `sha256=`-prefixed, or several separated by , or space. */
function signatureCandidates(header: string): Buffer[] {
  const out: Buffer[] = []
  for (const part of header.split(/[,\s]+/)) {
    const hex = part.replace(/^(sha256|v1)=/i, '')
    if (/^[0-9a-f]{64}$/i.test(hex)) out.push(Buffer.from(hex, 'hex'))
  }
  return out
}
