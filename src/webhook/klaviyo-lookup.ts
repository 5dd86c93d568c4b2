/**
 * Profile and metric look-ups for webhook deliveries that carry only relationships (Klaviyo's
 * published webhook shape has no `included`). A small `fetch` client on purpose: `klaviyo-api`,
 * the poll's client, is built on Node's HTTP stack (axios over node:http) and does not run on
 * Cloudflare Workers; this file uses nothing but `fetch`, so it runs unchanged under `relay serve`,
 * Workers and Lambda.
 *
 * - Batched: one Get Profiles call (`GET /api/profiles?filter=any(id,[…])`, `page[size]` up to 100;
 *   Klaviyo API reference "Get Profiles") per 100 profile ids, so a 1,000-event delivery is at most
 *   10 calls, and usually far fewer because events of one delivery share profiles.
 * - By email for Shopify orders without the cart attribute: one Get Profiles call with
 *   `filter=equals(email,"…")` (https://developers.klaviyo.com/en/reference/get_profiles: `email`
 *   takes `any` and `equals`), cached like the rest, under the same Get Profiles rate budget.
 * - Cached for a few minutes. Only settled values are shared between requests, never a promise or
 *   a queue: a Worker must not resolve one request's promise from another request's context
 *   (workerd cancels such continuations), so concurrent deliveries that miss the cache for the
 *   same profile each look it up once.
 * - Within Klaviyo's rate limits (rate-limit.ts); a 429 is retried after its Retry-After (retry.ts).
 * - Bounded in time: everything must finish before the caller's deadline, so Klaviyo gets an
 *   answer promptly (a 503 it will retry, rather than a timeout).
 */
import { profileBridgeId, type KlaviyoProfileLike } from '../shared/klaviyo-map'
import { METRICS_RATE, PROFILES_RATE, RateBudgetExceeded, RateLimiter, type RateWindow } from './rate-limit'
import { retryAfterMs, retryUntilDeadline, sleep as defaultSleep } from './retry'
import { recordOf } from '../shared/json'
import { readListDocument, readResourceDocument, type DocumentCheck } from '../shared/klaviyo-document'
import { DEFAULT_KLAVIYO_API_BASE, KLAVIYO_REVISION } from '../shared/klaviyo-endpoint'

/** Get Profiles' largest page. */
const MAX_PROFILES_PER_CALL = 100

/** A look-up that could not be completed in time (rate limit, Klaviyo error, network). */
export class KlaviyoLookupError extends Error {
  /** HTTP status Klaviyo answered, when it answered. */
  readonly status?: number
  constructor(message: string, status?: number) {
    super(message)
    this.name = 'KlaviyoLookupError'
    this.status = status
  }
}

/** Options of {@link KlaviyoLookup}. */
export interface KlaviyoLookupOptions {
  /** Klaviyo private API key (scope profiles:read, metrics:read). */
  privateKey: string
  /** Default https://a.klaviyo.com. */
  apiBase?: string
  /** How long a looked-up profile is reused, ms. Default 5 minutes. */
  cacheTtlMs?: number
  /** Most profiles kept in the cache. Default 20,000. */
  maxCacheEntries?: number
  /** Get Profiles calls in flight at once per delivery. Default 4. */
  concurrency?: number
  /** Per-call timeout, ms. Default 8,000. */
  timeoutMs?: number
  /** Rate windows for Get Profiles (default 75/s, 700/min) and Get Metric (10/s, 150/min). */
  profilesRate?: readonly RateWindow[]
  metricsRate?: readonly RateWindow[]
  /** Injected for tests. */
  fetch?: typeof fetch
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

interface CacheEntry<T> {
  value: T
  expires: number
}

/** Batched, cached, rate-limited Klaviyo profile and metric look-ups. */
export class KlaviyoLookup {
  /** Calls made to Klaviyo so far (Get Profiles, Get Metric), for logs, tests and the bench. */
  readonly calls = { profiles: 0, metrics: 0 }
  private readonly base: string
  private readonly o: Required<Pick<KlaviyoLookupOptions, 'cacheTtlMs' | 'maxCacheEntries' | 'concurrency' | 'timeoutMs'>>
  private readonly fetchFn: typeof fetch
  private readonly now: () => number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly profileLimiter: RateLimiter
  private readonly metricLimiter: RateLimiter
  private readonly profileCache = new Map<string, CacheEntry<KlaviyoProfileLike | null>>()
  /** Lower-cased email → its profile (null: no profile has that email). */
  private readonly emailCache = new Map<string, CacheEntry<KlaviyoProfileLike | null>>()
  /** Metric id → its name (null: Klaviyo has no such metric). */
  private readonly metricNames = new Map<string, string | null>()

  constructor(private readonly options: KlaviyoLookupOptions) {
    this.base = (options.apiBase || DEFAULT_KLAVIYO_API_BASE).replace(/\/+$/, '')
    this.o = {
      cacheTtlMs: options.cacheTtlMs ?? 5 * 60_000,
      maxCacheEntries: options.maxCacheEntries ?? 20_000,
      concurrency: options.concurrency ?? 4,
      timeoutMs: options.timeoutMs ?? 8_000,
    }
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init))
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? defaultSleep
    this.profileLimiter = new RateLimiter(options.profilesRate ?? PROFILES_RATE, this.now, this.sleep)
    this.metricLimiter = new RateLimiter(options.metricsRate ?? METRICS_RATE, this.now, this.sleep)
  }

  /**
   * The profiles of `ids` (null for an id Klaviyo does not know, e.g. a deleted profile).
   * Rejects with {@link KlaviyoLookupError} when they cannot all be had before `deadline` (epoch ms).
   */
  async profiles(ids: Iterable<string>, deadline: number): Promise<Map<string, KlaviyoProfileLike | null>> {
    const out = new Map<string, KlaviyoProfileLike | null>()
    const missing: string[] = []
    const t = this.now()
    for (const id of new Set(ids)) {
      const cached = this.profileCache.get(id)
      if (cached && cached.expires > t) out.set(id, cached.value)
      else missing.push(id)
    }
    const chunks: string[][] = []
    for (let i = 0; i < missing.length; i += MAX_PROFILES_PER_CALL) chunks.push(missing.slice(i, i + MAX_PROFILES_PER_CALL))
    let next = 0
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]
        const found = await this.fetchProfiles(chunk, deadline)
        for (const id of chunk) {
          const profile = found.get(id) ?? null
          this.remember(id, profile)
          out.set(id, profile)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, chunks.length) }, worker))
    return out
  }

  /**
   * The profile whose email is `email` (compared lower-cased, as mailstitch captures emails), or
   * null when Klaviyo has none (or the address cannot be written into a filter). Rejects with
   * {@link KlaviyoLookupError} when Klaviyo cannot be asked before `deadline` (epoch ms).
   */
  async profileByEmail(email: string, deadline: number): Promise<KlaviyoProfileLike | null> {
    const key = email.trim().toLowerCase()
    // A quote or backslash would end the filter's string early; no address mailstitch captures has one.
    if (!key || /["\\\u0000-\u001f]/.test(key)) return null
    const cached = this.emailCache.get(key)
    if (cached && cached.expires > this.now()) return cached.value
    const url = new URL(`${this.base}/api/profiles`)
    url.searchParams.set('filter', `equals(email,"${key}")`)
    url.searchParams.set('fields[profile]', 'email,external_id,properties')
    // A 200 that is not a Get Profiles document is an error, never "no such profile" (as in fetchProfiles).
    const doc = readListDocument(await this.get(url.toString(), this.profileLimiter, deadline, 'profiles', readListDocument))
    if (!doc.ok) throw new KlaviyoLookupError(`Klaviyo answered a profiles look-up with ${doc.problem}`)
    // Email is unique per profile in Klaviyo; should two come back, the one with a bridge id is the useful one.
    const found = doc.document.data.filter((p) => p.type === 'profile') as KlaviyoProfileLike[]
    const profile = found.find((p) => profileBridgeId(p) !== undefined) ?? found[0] ?? null
    remember(this.emailCache, key, profile, this.now() + this.o.cacheTtlMs, this.o.maxCacheEntries)
    if (profile?.id) this.remember(profile.id, profile)
    return profile
  }

  /** A metric's own name (Get Metric), kept for the life of the instance; undefined when it cannot be had in time. */
  async metricName(id: string, deadline: number): Promise<string | undefined> {
    const known = this.metricNames.get(id)
    if (known !== undefined) return known ?? undefined
    try {
      const doc = readResourceDocument(await this.get(`${this.base}/api/metrics/${encodeURIComponent(id)}?fields[metric]=name`, this.metricLimiter, deadline, 'metrics', readResourceDocument))
      if (!doc.ok) return undefined
      const name = recordOf(doc.document.attributes).name
      const value = typeof name === 'string' && name ? name : null
      this.metricNames.set(id, value)
      return value ?? undefined
    } catch (err) {
      // "No such metric" is an answer worth keeping (a deleted metric must not cost a call per
      // delivery); anything else is tried again next time. The topic names the metric anyway.
      if (err instanceof KlaviyoLookupError && err.status === 404) this.metricNames.set(id, null)
      return undefined
    }
  }

  private remember(id: string, profile: KlaviyoProfileLike | null): void {
    remember(this.profileCache, id, profile, this.now() + this.o.cacheTtlMs, this.o.maxCacheEntries)
  }

  private async fetchProfiles(ids: string[], deadline: number): Promise<Map<string, KlaviyoProfileLike>> {
    const found = new Map<string, KlaviyoProfileLike>()
    const url = new URL(`${this.base}/api/profiles`)
    url.searchParams.set('filter', `any(id,[${ids.map((id) => JSON.stringify(id)).join(',')}])`)
    url.searchParams.set('page[size]', String(MAX_PROFILES_PER_CALL))
    url.searchParams.set('fields[profile]', 'email,external_id,properties')
    let next: string | null = url.toString()
    while (next) {
      // A 200 that is not a Get Profiles document is an error, never "no such profile": relaying
      // unstitched would key the event to `klaviyo:<id>`, and Segment would drop the stitched retry.
      const doc = readListDocument(await this.get(next, this.profileLimiter, deadline, 'profiles', readListDocument))
      if (!doc.ok) throw new KlaviyoLookupError(`Klaviyo answered a profiles look-up with ${doc.problem}`)
      for (const p of doc.document.data) if (p.type === 'profile') found.set(p.id, p as KlaviyoProfileLike)
      next = doc.document.next
    }
    return found
  }

  /**
   * GET with the private key, within the rate budget and the deadline; 429/5xx/network retried while
   * time allows, and so is a 2xx that is not JSON or fails `check` (a proxy's maintenance page).
   */
  private async get(url: string, limiter: RateLimiter, deadline: number, kind: 'profiles' | 'metrics', check?: (body: unknown) => DocumentCheck<unknown>): Promise<unknown> {
    return retryUntilDeadline<unknown>(
      async () => {
        try {
          await limiter.acquire(deadline)
        } catch (err) {
          if (err instanceof RateBudgetExceeded) throw new KlaviyoLookupError(err.message, 429)
          throw err
        }
        try {
          this.calls[kind]++
          const res = await this.fetchFn(url, {
            headers: {
              authorization: `Klaviyo-API-Key ${this.options.privateKey}`,
              revision: KLAVIYO_REVISION,
              accept: 'application/vnd.api+json',
            },
            signal: AbortSignal.timeout(Math.max(1, Math.ceil(Math.min(this.o.timeoutMs, deadline - this.now())))),
          })
          if (res.ok) {
            const text = await res.text()
            let body: unknown
            try {
              body = JSON.parse(text)
            } catch {
              body = text
            }
            const checked = check ? check(body) : typeof body === 'string' ? { ok: false as const, problem: 'a body that is not JSON' } : undefined
            if (checked && !checked.ok) return { ok: false, failure: new KlaviyoLookupError(`Klaviyo answered ${res.status} to a ${kind} look-up with ${checked.problem}`, res.status), retry: true }
            return { ok: true, value: body }
          }
          await res.body?.cancel().catch(() => undefined)
          const failure = new KlaviyoLookupError(`Klaviyo answered ${res.status} to a ${kind} look-up`, res.status)
          // 401/403/404/400 will not get better by retrying.
          return { ok: false, failure, retry: res.status === 429 || res.status >= 500, retryAfterMs: retryAfterMs(res.headers, this.now()) }
        } catch (err) {
          return { ok: false, failure: new KlaviyoLookupError(`Klaviyo ${kind} look-up failed: ${err instanceof Error ? err.message : String(err)}`), retry: true }
        }
      },
      { baseDelayMs: 250, maxAttempts: 5 },
      deadline,
      { now: this.now, sleep: this.sleep },
    )
  }
}

function remember<T>(cache: Map<string, CacheEntry<T>>, key: string, value: T, expires: number, max: number): void {
  if (cache.size >= max) {
    // Map keeps insertion order: drop the oldest tenth in one go.
    let drop = Math.ceil(max / 10)
    for (const k of cache.keys()) {
      cache.delete(k)
      if (--drop <= 0) break
    }
  }
  cache.delete(key)
  cache.set(key, { value, expires })
}
