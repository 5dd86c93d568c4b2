/**
 * Klaviyo system-webhook authentication on Web Crypto (runs under Node 20, Workers and Lambda):
 * `Klaviyo-Signature` is the hex HMAC-SHA256, keyed with the webhook's secret_key, of the raw body
 * bytes followed directly by the `Klaviyo-Timestamp` header value (Klaviyo developer guide "Working
 * with system webhooks"; the byte order is confirmed by several independent implementations, see
 * /work/shared/research/klaviyo.md §5).
 *
 * The timestamp window comes from the threat model, not from habit:
 * - A replayed body can only repeat the messageIds it already carries (`klaviyo-<event id>`); it
 *   cannot invent events. Segment drops a repeated messageId for about 24 hours (segment-docs,
 *   guides/duplicate-data). Every accepted copy of one signed body lies inside one window, so with a
 *   window W < 24 h any two copies reach Segment less than W apart and collapse into one.
 * - Klaviyo does not say whether a retry of a failed delivery is signed again with a fresh
 *   timestamp. Assuming the less convenient answer (it is not), a 5-minute window would refuse
 *   every retry after the fifth minute forever, and the events would be lost.
 * So the window is 12 hours into the past: Klaviyo's retries over half a day still pass, and a
 * replay stays 12 hours inside Segment's dedupe window. Timestamps from the future get only a
 * clock-skew allowance (5 minutes): Klaviyo never signs ahead, and a far-future timestamp would
 * stretch a captured body's replay life past the dedupe window.
 */

/** Default window into the past: a request signed more than 12 hours ago is refused. */
export const DEFAULT_TOLERANCE_SECONDS = 12 * 60 * 60

/** Clock skew allowed for timestamps ahead of our clock. */
export const MAX_FUTURE_SKEW_SECONDS = 5 * 60

/** Why a webhook request was not authenticated. */
export type SignatureFailure = 'missing_signature' | 'missing_timestamp' | 'bad_timestamp' | 'stale_timestamp' | 'future_timestamp' | 'bad_signature'

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
  /** Window into the past in seconds (default 12 hours). */
  toleranceSeconds?: number
  /** Current time in ms (tests). */
  now?: number
}

const encoder = new TextEncoder()
// Imported keys, reused across requests. Values only, never pending promises: a Worker must not
// settle one request's promise from another request's context.
// Named through `crypto.subtle` rather than the global `CryptoKey` type, which Node's type
// declarations do not have (src/relay type-checks this file under Node's globals).
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>
const keyCache = new Map<string, HmacKey>()

async function hmacKey(secret: string): Promise<HmacKey> {
  const cached = keyCache.get(secret)
  if (cached) return cached
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
  // A handful of secrets at most (rotation); never let a misuse grow this without bound.
  if (keyCache.size > 16) keyCache.clear()
  keyCache.set(secret, key)
  return key
}

/** The signed bytes: raw body followed by the timestamp header value. */
function signedBytes(rawBody: Uint8Array | string, timestamp: string): Uint8Array<ArrayBuffer> {
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody
  const ts = encoder.encode(timestamp)
  const out = new Uint8Array(body.byteLength + ts.byteLength)
  out.set(body, 0)
  out.set(ts, body.byteLength)
  return out
}

/** Hex HMAC-SHA256 of `rawBody + timestamp` keyed with `secret`, as Klaviyo computes it. */
export async function computeKlaviyoSignature(rawBody: Uint8Array | string, timestamp: string, secret: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), signedBytes(rawBody, timestamp)))
  let hex = ''
  for (const b of mac) hex += b.toString(16).padStart(2, '0')
  return hex
}

/**
 * Parse a `Klaviyo-Timestamp` value to epoch ms. Klaviyo's pages do not pin its format (an
 * HTTP-date in examples); ISO 8601 and epoch seconds (or ms) are accepted too.
 */
export function parseKlaviyoTimestamp(value: string): number | undefined {
  const v = value.trim()
  if (!v) return undefined
  if (/^\d+(\.\d+)?$/.test(v)) {
    const n = Number(v)
    // 13+ digits is milliseconds; anything shorter is seconds.
    return v.split('.')[0].length >= 13 ? n : n * 1000
  }
  const ms = Date.parse(v.replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2')) // RFC 7231 HTTP-date, ISO 8601
  return Number.isNaN(ms) ? undefined : ms
}

/**
 * Verify a Klaviyo webhook signature and the timestamp window. The comparison is
 * `crypto.subtle.verify`, which compares MACs in constant time; every candidate is checked against
 * every secret (no early exit), so timing does not reveal which one matched.
 */
export async function verifyKlaviyoSignature(input: VerifyInput): Promise<SignatureCheck> {
  const { rawBody, signature, timestamp } = input
  if (!signature || !signature.trim()) return { ok: false, reason: 'missing_signature' }
  if (!timestamp || !timestamp.trim()) return { ok: false, reason: 'missing_timestamp' }
  const ts = parseKlaviyoTimestamp(timestamp)
  if (ts === undefined) return { ok: false, reason: 'bad_timestamp' }
  const now = input.now ?? Date.now()
  const tolerance = (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS) * 1000
  if (now - ts > tolerance) return { ok: false, reason: 'stale_timestamp' }
  if (ts - now > MAX_FUTURE_SKEW_SECONDS * 1000) return { ok: false, reason: 'future_timestamp' }

  const candidates = signatureCandidates(signature)
  const secrets = (typeof input.secret === 'string' ? [input.secret] : input.secret).filter(Boolean)
  if (!candidates.length || !secrets.length) return { ok: false, reason: 'bad_signature' }
  const data = signedBytes(rawBody, timestamp)
  const checks: Array<Promise<boolean>> = []
  for (const secret of secrets) {
    const key = hmacKey(secret)
    for (const c of candidates) checks.push(key.then((k) => crypto.subtle.verify('HMAC', k, c, data)))
  }
  const results = await Promise.all(checks)
  return results.includes(true) ? { ok: true, timestampMs: ts } : { ok: false, reason: 'bad_signature' }
}

/** Decode the header: one hex digest, optionally `sha256=`-prefixed, or several separated by , or space. */
function signatureCandidates(header: string): Array<Uint8Array<ArrayBuffer>> {
  const out: Array<Uint8Array<ArrayBuffer>> = []
  for (const part of header.split(/[,\s]+/)) {
    const hex = part.replace(/^(sha256|v1)=/i, '')
    if (!/^[0-9a-f]{64}$/i.test(hex)) continue
    const bytes = new Uint8Array(32)
    for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
    out.push(bytes)
    if (out.length >= 4) break // a header is never a list of more than a few; bound the work
  }
  return out
}
