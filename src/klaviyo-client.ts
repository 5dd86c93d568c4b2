import type { KlaviyoOptions } from './types'

/** Klaviyo API revision the client requests are written against. */
export const KLAVIYO_REVISION = '2026-07-15'

/** A ready-to-send Klaviyo client request (kept small: it must fit a keepalive body). */
export interface KlaviyoRequest {
  /** Absolute URL including `company_id`. */
  u: string
  /** JSON:API body. */
  b: string
}

/** What a capture writes to the Klaviyo profile. */
export interface ProfileInput {
  email: string
  bridgeId: string
  externalId?: string
  traits?: Record<string, unknown>
  source?: string
}

// Traits that are first-class Klaviyo profile attributes; other scalar traits become properties.
const ATTRS = /^(first_name|last_name|title|organization|locale)$/

/** Build the profile upsert and, with a list, the subscription request. */
export function klaviyoRequests(k: KlaviyoOptions, p: ProfileInput): KlaviyoRequest[] {
  const at = (path: string, data: object): KlaviyoRequest => ({
    u: (k.apiBase || 'https://a.klaviyo.com').replace(/\/+$/, '') + '/client/' + path + '?company_id=' + encodeURIComponent(k.companyId),
    b: JSON.stringify({ data }),
  })
  const properties: Record<string, unknown> = {}
  const attributes: Record<string, unknown> = { email: p.email, anonymous_id: p.bridgeId, external_id: p.externalId, properties }
  for (const [key, v] of Object.entries(p.traits || {}))
    if (key !== 'email' && v != null && typeof v !== 'object') (ATTRS.test(key) ? attributes : properties)[key] = v
  properties.segment_anonymous_id = p.bridgeId // last: a trait of that name cannot replace the bridge id
  const out = [at('profiles', { type: 'profile', attributes })]
  if (k.listId)
    out.push(at('subscriptions', {
      type: 'subscription',
      attributes: { custom_source: p.source, profile: { data: { type: 'profile', attributes: { email: p.email } } } },
      relationships: { list: { data: { type: 'list', id: k.listId } } },
    }))
  return out
}

/** Send result: `done` (accepted, or refused for good), or retry after `wait` ms. */
export type SendResult = { done: true; status: number } | { done: false; wait: number }

/**
 * POST one request with `keepalive`, so it survives the page unloading (full-page form posts).
 * 429, 5xx and network errors are retryable; other 4xx are final (retrying cannot fix them).
 */
export async function sendKlaviyo(r: KlaviyoRequest, attempt: number): Promise<SendResult> {
  let wait = Math.min(30_000, 1000 * 2 ** attempt)
  try {
    const res = await fetch(r.u, {
      method: 'POST',
      keepalive: r.b.length < 60_000,
      headers: { 'content-type': 'application/vnd.api+json', revision: KLAVIYO_REVISION },
      body: r.b,
    })
    if (res.status !== 429 && res.status < 500) return { done: true, status: res.status }
    wait = Math.min(+(res.headers.get('retry-after') || 0) * 1000, 60_000) || wait
  } catch { /* network error: retry */ }
  return { done: false, wait }
}
