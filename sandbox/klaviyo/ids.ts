/** Identifiers, times and validation rules as Klaviyo uses them. */
import { randomBytes } from 'node:crypto'
import type { KlaviyoIntegration } from './types'

/** Klaviyo's built-in email metric names (integration "Klaviyo"). */
export const KLAVIYO_EMAIL_METRICS: readonly string[] = [
  'Received Email',
  'Opened Email',
  'Clicked Email',
  'Bounced Email',
  'Dropped Email',
  'Marked Email as Spam',
  'Unsubscribed',
  'Unsubscribed from Email Marketing',
  'Subscribed to List',
]

/** The integration of Klaviyo's own metrics. */
export const KLAVIYO_INTEGRATION: KlaviyoIntegration = { object: 'integration', id: '0rG4eQ', key: 'klaviyo', name: 'Klaviyo', category: 'Internal' }
/** The integration of metrics created through the API. */
export const API_INTEGRATION: KlaviyoIntegration = { object: 'integration', id: '7FtS4J', key: 'api', name: 'API', category: 'API' }

/** Alphabet of metric and event ids. */
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** Crockford base32, the alphabet of ULIDs. */
export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** `len` random characters of `alphabet`. */
export function randomString(len: number, alphabet: string): string {
  const bytes = randomBytes(len)
  let out = ''
  for (let i = 0; i < len; i++) out += alphabet[bytes[i] % alphabet.length]
  return out
}

// Profile ids are ULIDs at Klaviyo (26 chars, time-ordered): creation order == id order.
export let lastUlidMs = 0
export let ulidSeq = 0
/** A ULID, monotonic within one millisecond (profile ids). */
export function ulid(): string {
  let ms = Date.now()
  if (ms <= lastUlidMs) {
    ms = lastUlidMs
    ulidSeq++
  } else {
    lastUlidMs = ms
    ulidSeq = 0
  }
  let time = ''
  let t = ms
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time
    t = Math.floor(t / 32)
  }
  // A sequence in the random part keeps ids monotonic within one millisecond.
  let seq = ''
  let s = ulidSeq
  for (let i = 0; i < 4; i++) {
    seq = CROCKFORD[s % 32] + seq
    s = Math.floor(s / 32)
  }
  return time + seq + randomString(12, CROCKFORD)
}

/** Klaviyo-style ISO time: second precision, `+00:00` offset. */
export function klaviyoDatetime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00')
}

/** The current time, Klaviyo-style. */
export function nowIso(): string {
  return klaviyoDatetime(Date.now())
}

/** An email address Klaviyo accepts. */
export const EMAIL_RE = /^[^\s@"<>()[\],;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,}$/
/** An E.164 phone number. */
export const PHONE_RE = /^\+[1-9]\d{6,14}$/

/** True for an address Klaviyo would accept. */
export function isValidEmail(v: string): boolean {
  return v.length <= 254 && EMAIL_RE.test(v)
}
