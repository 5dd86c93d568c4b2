/**
 * What the Klaviyo emulator enforces on server API requests, each row from the page it follows:
 * which revisions exist, each endpoint's rate-limit tier, and the scope each endpoint needs.
 * Where the docs are silent the emulator takes the less convenient answer (refuse, throttle).
 */
import { KLAVIYO_TIERS, type RateLimit } from '../rate-limiter'

/**
 * Published API revisions (developers.klaviyo.com/en/changelog; "Note that the revision passed in
 * must be a valid revision", developers.klaviyo.com/en/docs/api_versioning_and_deprecation_policy).
 * A `.pre` suffix (beta endpoints) is accepted on any of them. Any other date is refused with 400:
 * the policy page says it must be valid and does not say what happens otherwise, so the emulator
 * takes the less convenient answer rather than falling forward to the newest revision.
 */
export const KLAVIYO_REVISIONS: readonly string[] = [
  '2022-10-17', '2023-01-24', '2023-02-22', '2023-06-15', '2023-07-15', '2023-08-15', '2023-09-15', '2023-10-15', '2023-12-15',
  '2024-02-15', '2024-05-15', '2024-06-15', '2024-07-15', '2024-10-15',
  '2025-01-15', '2025-04-15', '2025-07-15', '2025-10-15',
  '2026-01-15', '2026-04-15', '2026-07-15', '2026-10-15',
]

/** True when `revision` is a published revision, optionally with a `.pre` (beta) suffix. */
export function isKnownRevision(revision: string): boolean {
  const base = revision.endsWith('.pre') ? revision.slice(0, -'.pre'.length) : revision
  return KLAVIYO_REVISIONS.includes(base)
}

/**
 * Rate limits per server-API endpoint, from the "Rate limits" box of each endpoint's API reference page
 * (developers.klaviyo.com/en/reference/<operation>), tiers as defined on
 * developers.klaviyo.com/en/docs/rate_limits_and_error_handling:
 * - get_events, get_event: XL (350/s burst, 3,500/m steady)
 * - get_metrics, get_metric: M (10/s, 150/m)
 * - get_profiles: 75/s, 750/m (its page states these numbers rather than a tier: "Burst: 75/s,
 *   Steady: 750/m", also in github.com/klaviyo/openapi stable/apis/get_profiles.json)
 * - get_profile: L (75/s, 700/m)
 * - get_webhook_topics: XS (1/s, 15/m), as every webhooks endpoint
 * - get_accounts: XS (1/s, 15/m)
 * Keys are `METHOD path` as the emulator routes them (a profile read by id is one endpoint).
 */
export const KLAVIYO_RATE_LIMITS: Readonly<Record<string, RateLimit>> = {
  'GET /api/events': KLAVIYO_TIERS.XL,
  'GET /api/events/{id}': KLAVIYO_TIERS.XL,
  'GET /api/metrics': KLAVIYO_TIERS.M,
  'GET /api/metrics/{id}': KLAVIYO_TIERS.M,
  'GET /api/profiles': { burstPerSecond: 75, steadyPerMinute: 750 },
  'GET /api/profiles/{id}': KLAVIYO_TIERS.L,
  'GET /api/webhook-topics': KLAVIYO_TIERS.XS,
  'GET /api/accounts': KLAVIYO_TIERS.XS,
}

/**
 * The scope each server endpoint needs (the "Scopes" line of each API reference page, e.g.
 * get_events: `events:read`; get_profiles: `profiles:read`; get_webhook_topics: `webhooks:read`;
 * get_accounts: `accounts:read`). A key without it gets 403 `permission_denied`.
 */
export const KLAVIYO_SCOPES: Readonly<Record<string, string>> = {
  'GET /api/events': 'events:read',
  'GET /api/events/{id}': 'events:read',
  'GET /api/metrics': 'metrics:read',
  'GET /api/metrics/{id}': 'metrics:read',
  'GET /api/profiles': 'profiles:read',
  'GET /api/profiles/{id}': 'profiles:read',
  'GET /api/webhook-topics': 'webhooks:read',
  'GET /api/accounts': 'accounts:read',
}

/**
 * The endpoint key of a server API path: `/api/profiles/01ABC` → `GET /api/profiles/{id}`.
 * Unknown paths come back as they are (and so are neither limited nor scoped).
 */
export function endpointKey(method: string, path: string): string {
  const p = path.replace(/\/+$/, '')
  const m = /^(\/api\/(?:events|metrics|profiles))\/[^/]+$/.exec(p)
  return `${method.toUpperCase()} ${m ? `${m[1]}/{id}` : p}`
}
