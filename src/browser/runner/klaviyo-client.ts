// Klaviyo's client API (public key only, safe in the browser):
// https://developers.klaviyo.com/en/reference/create_client_profile and
// https://developers.klaviyo.com/en/reference/create_client_subscription
import type { KlaviyoOptions } from '../types'
import type { StepName } from '../core/outbox'
import { retry, type Attempt } from './retry'

import { KLAVIYO_REVISION } from '../../shared/klaviyo-endpoint'

/** Klaviyo API revision the client requests are written against (one value for every runtime). */
export { KLAVIYO_REVISION }

/** A ready-to-send Klaviyo client request. */
export interface KlaviyoRequest {
  /** The capture step it carries out. */
  step: Extract<StepName, 'profile' | 'subscription'>
  /** Absolute URL including `company_id`. */
  url: string
  /** JSON:API body. */
  body: string
}

/** What a capture writes to Klaviyo. */
export interface ProfileInput {
  email: string
  bridgeId?: string
  traits?: Record<string, unknown>
  source?: string
  /** Subscribe to the list too (a clear opt-in only). */
  subscribe?: boolean
}

// Traits that are first-class Klaviyo profile attributes; other scalar traits become properties.
const PROFILE_ATTRIBUTES = /^(first_name|last_name|title|organization|locale)$/

function requestTo(klaviyo: KlaviyoOptions, step: KlaviyoRequest['step'], data: object): KlaviyoRequest {
  const base = (klaviyo.apiBase || 'https://a.klaviyo.com').replace(/\/+$/, '')
  const path = step === 'profile' ? 'profiles' : 'subscriptions'
  return { step, url: `${base}/client/${path}?company_id=${encodeURIComponent(klaviyo.companyId)}`, body: JSON.stringify({ data }) }
}

/** The profile attributes: email, bridge id, external id (never empty) and the scalar traits. */
function profileAttributes(input: ProfileInput, externalId: string | null | undefined): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  const attributes: Record<string, unknown> = { email: input.email, anonymous_id: input.bridgeId, properties }
  if (externalId) attributes.external_id = externalId
  for (const [key, value] of Object.entries(input.traits || {})) {
    if (key === 'email' || value == null || typeof value === 'object') continue
    if (PROFILE_ATTRIBUTES.test(key)) attributes[key] = value
    else properties[key] = value
  }
  properties.segment_anonymous_id = input.bridgeId // last: a trait of that name cannot replace the bridge id
  return attributes
}

/** The profile upsert and, for an opt-in with a list configured, the subscription request. */
export function klaviyoRequests(klaviyo: KlaviyoOptions, input: ProfileInput, externalId?: string | null): KlaviyoRequest[] {
  const requests = [requestTo(klaviyo, 'profile', { type: 'profile', attributes: profileAttributes(input, externalId) })]
  if (klaviyo.listId && input.subscribe) {
    requests.push(
      requestTo(klaviyo, 'subscription', {
        type: 'subscription',
        attributes: { custom_source: input.source, profile: { data: { type: 'profile', attributes: { email: input.email } } } },
        relationships: { list: { data: { type: 'list', id: klaviyo.listId } } },
      }),
    )
  }
  return requests
}

/** Retry-After in seconds (a date or nothing: `undefined`, the backoff applies). */
function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after'))
  return seconds > 0 ? seconds * 1000 : undefined
}

/** One POST: a final status is done; 429 and 5xx are worth another try. */
async function postOnce(request: KlaviyoRequest): Promise<Attempt<number>> {
  const response = await fetch(request.url, {
    method: 'POST',
    keepalive: request.body.length < 60_000, // a keepalive body must stay under 64 KB
    headers: { 'content-type': 'application/vnd.api+json', revision: KLAVIYO_REVISION },
    body: request.body,
  })
  const status = response.status
  if (status !== 429 && status < 500) return { done: true, value: status }
  return { done: false, retryAfterMs: retryAfterMs(response) }
}

/** How a Klaviyo request ended: the final HTTP status Klaviyo answered, or `'gave_up'` (no final answer after the retries, or stopped). */
export type KlaviyoResult = number | 'gave_up'

/**
 * POST one request with `keepalive`, so it survives the page unloading (full-page form posts).
 * 429, 5xx and network errors are retried on this page up to 3 times (after Retry-After, capped
 * at 60 s, else 1, 2, 4 s) while `keepGoing()` allows; other 4xx are final (retrying cannot fix
 * them). Never rejects.
 */
export async function sendKlaviyo(request: KlaviyoRequest, keepGoing: () => boolean): Promise<KlaviyoResult> {
  const status = await retry(() => postOnce(request), { tries: 4, baseMs: 1000, maxMs: 60_000, keepGoing })
  return status ?? 'gave_up'
}
