import type { KlaviyoOptions } from './types'

/** Klaviyo API revision the client requests are written against. */
export const KLAVIYO_REVISION = '2026-07-15'

/** A ready-to-send Klaviyo client request. */
export interface KlaviyoRequest {
  /** Absolute URL including `company_id`. */
  u: string
  /** JSON:API body. */
  b: string
}

/** What a capture writes to the Klaviyo profile: email, bridge id `b`, traits, source; `s: false` skips the subscription. */
export interface ProfileInput {
  email: string
  s?: boolean
  b?: string
  traits?: Record<string, unknown>
  source?: string
}

// Traits that are first-class Klaviyo profile attributes; other scalar traits become properties.
const ATTRS = /^(first_name|last_name|title|organization|locale)$/

/** Build the profile upsert and, with a list and unless `p.s` is false (not an opt-in), the subscription request. */
export function klaviyoRequests(k: KlaviyoOptions, p: ProfileInput, externalId?: string | null | false): KlaviyoRequest[] {
  const at = (path: string, data: object): KlaviyoRequest => ({
    u: (k.apiBase || 'https://a.klaviyo.com').replace(/\/+$/, '') + '/client/' + path + '?company_id=' + encodeURIComponent(k.companyId),
    b: JSON.stringify({ data }),
  })
  const email = p.email
  const properties: Record<string, unknown> = {}
  // Never an empty external_id (JSON drops undefined).
  const attributes: Record<string, unknown> = { email, anonymous_id: p.b, external_id: externalId || undefined, properties }
  for (const [key, v] of Object.entries(p.traits || {}))
    if (key != 'email' && v != null && typeof v != 'object') (ATTRS.test(key) ? attributes : properties)[key] = v
  properties.segment_anonymous_id = p.b // last: a trait of that name cannot replace the bridge id
  return [at('profiles', { type: 'profile', attributes })].concat(
    k.listId && p.s !== false
      ? at('subscriptions', {
          type: 'subscription',
          attributes: { custom_source: p.source, profile: { data: { type: 'profile', attributes: { email } } } },
          relationships: { list: { data: { type: 'list', id: k.listId } } },
        })
      : [],
  )
}

/**
 * POST one request with `keepalive`, so it survives the page unloading (full-page form posts).
 * 429, 5xx and network errors are retried on this page up to 3 times (after Retry-After, capped
 * at 60 s, else 1, 2, 4 s) while `go()` allows; other 4xx are final (retrying cannot fix them).
 * Resolves the final HTTP status, or 0 when it gave up (the outbox keeps the work for a later page).
 */
export async function sendKlaviyo(r: KlaviyoRequest, go: () => boolean): Promise<number> {
  for (let i = 0; ; ) {
    let wait = 1000 << i
    try {
      const res = await fetch(r.u, {
        method: 'POST',
        keepalive: !r.b[6e4], // a keepalive body must stay under 64 KB
        headers: { 'content-type': 'application/vnd.api+json', revision: KLAVIYO_REVISION },
        body: r.b,
      })
      const s = res.status
      if (s != 429 && s < 500) return s
      wait = Math.min(+res.headers.get('retry-after')! * 1000, 6e4) || wait // seconds; absent or a date: backoff
    } catch { /* network error: retry */ }
    if (++i > 3 || (await new Promise((f) => setTimeout(f, wait)), !go())) return 0
  }
}
