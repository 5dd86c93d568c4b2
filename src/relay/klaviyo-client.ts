/**
 * klaviyo-api clients pointed at KLAVIYO_API_BASE. The poll uses the official SDK (typed requests,
 * the API revision it pins); the webhook core cannot (src/webhook/klaviyo-lookup.ts: klaviyo-api is
 * axios over node:http, which Workers do not have), so each runtime has one client, and both read
 * answers through the one check of ../shared/klaviyo-document.ts (see klaviyo-source.ts, metrics.ts).
 *
 * Retries: the SDK's own RetryWithExponentialBackoff is turned off (one attempt); the session below
 * retries HTTP 429/5xx and network errors with the server side's one policy and its one Retry-After
 * rule (../webhook/retry.ts), adds a request time-out, and stops waiting when the relay stops.
 * Also turns SDK/axios errors into typed errors.
 * The SDK itself is loaded on first use (src/relay/klaviyo-sdk.ts): it is an optional peer dependency.
 */
import type { ApiKeySession, EventsApi, MetricsApi, ProfilesApi, Session, WebhooksApi } from 'klaviyo-api'
import { loadKlaviyoSdk, type KlaviyoSdk } from './klaviyo-sdk'
import { KlaviyoApiError, KlaviyoAuthError, RelayError, UnreachableHostError, networkErrorCode } from './errors'
import { DEFAULT_KLAVIYO_API_BASE } from '../shared/klaviyo-endpoint'
import { retryAfterMs, retryUntilDeadline, sleep } from '../webhook/retry'

export { nextPageCursor } from '../shared/klaviyo-document'

// axios is klaviyo-api's dependency, not ours: take its types through the SDK's Session interface.
type AxiosRequestConfig = Parameters<Session['applyToRequest']>[0]
type AxiosResponse = Awaited<ReturnType<Session['requestWithRetry']>>

interface HttpErrorLike {
  isAxiosError?: boolean
  message: string
  response?: { status: number; statusText?: string; data?: unknown; headers?: Record<string, unknown> }
}

/** The HTTP response carried by an axios error, if any. */
function httpResponse(err: unknown): HttpErrorLike['response'] | undefined {
  const e = err as HttpErrorLike | null
  return e && typeof e === 'object' && e.isAxiosError && e.response ? e.response : undefined
}

export { DEFAULT_KLAVIYO_API_BASE }

/** Statuses worth another attempt: throttling, and Klaviyo's transient server errors (524: Cloudflare's time-out in front of it). */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504, 524])

/** Retry tuning for Klaviyo calls. */
export interface KlaviyoRetryOptions {
  /** Total attempts for HTTP 429/5xx. Default 8. */
  httpAttempts?: number
  /** Longest wait between HTTP retries (a Retry-After excepted, which is honoured up to 5 minutes), seconds. Default 60. */
  maxIntervalSeconds?: number
  /** Total attempts for network errors (refused, reset, DNS, timeout). Default 5. */
  networkAttempts?: number
  /** First retry delay in ms, doubled each attempt. Default 500. */
  networkBaseDelayMs?: number
  /** Per-request timeout in ms. Default 60 000. */
  timeoutMs?: number
}

/** Options of {@link createKlaviyoClients}. */
export interface KlaviyoClientOptions {
  privateKey: string
  apiBase?: string
  retry?: KlaviyoRetryOptions
  /** Aborts pending retry waits (relay stop). */
  signal?: AbortSignal
}

/** The SDK clients the relay uses (profiles and webhooks only for `relay check`). */
export interface KlaviyoClients {
  events: EventsApi
  metrics: MetricsApi
  profiles: ProfilesApi
  webhooks: WebhooksApi
  apiBase: string
}

/** Session that adds a timeout and the one retry policy around the SDK's ApiKeySession (its own retry off). */
class RelaySession implements Session {
  private readonly inner: ApiKeySession
  private readonly retry: Required<KlaviyoRetryOptions>
  private readonly signal?: AbortSignal

  constructor(sdk: KlaviyoSdk, privateKey: string, retry: KlaviyoRetryOptions, signal?: AbortSignal) {
    // numRetries counts attempts in the SDK: 1 is a single attempt, so only our retry runs.
    this.inner = new sdk.ApiKeySession(privateKey, new sdk.RetryWithExponentialBackoff({ numRetries: 1 }))
    this.retry = {
      httpAttempts: retry.httpAttempts ?? 8,
      maxIntervalSeconds: retry.maxIntervalSeconds ?? 60,
      networkAttempts: retry.networkAttempts ?? 5,
      networkBaseDelayMs: retry.networkBaseDelayMs ?? 500,
      timeoutMs: retry.timeoutMs ?? 60_000,
    }
    this.signal = signal
  }

  applyToRequest(config: AxiosRequestConfig): void {
    this.inner.applyToRequest(config)
    config.timeout ??= this.retry.timeoutMs
  }

  async requestWithRetry(config: AxiosRequestConfig): Promise<AxiosResponse> {
    let httpTries = 0
    let networkTries = 0
    const policy = { baseDelayMs: this.retry.networkBaseDelayMs, maxDelayMs: this.retry.maxIntervalSeconds * 1000, jitter: true }
    return retryUntilDeadline<AxiosResponse>(
      async () => {
        try {
          return { ok: true, value: await this.inner.requestWithRetry(config) }
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error))
          const res = httpResponse(error)
          if (res) {
            httpTries++
            const retry = RETRY_STATUSES.has(res.status) && httpTries < this.retry.httpAttempts
            return { ok: false, failure, retry, retryAfterMs: retry ? retryAfterMs(headerReader(res.headers)) : undefined }
          }
          networkTries++
          return { ok: false, failure, retry: networkErrorCode(error) !== undefined && networkTries < this.retry.networkAttempts }
        }
      },
      policy,
      Infinity,
      { now: Date.now, sleep },
      this.signal,
    )
  }

  refreshAndRetry(): boolean {
    return false
  }
}

/** axios response headers (a plain object or AxiosHeaders, names lower-cased) as a `get`. */
function headerReader(headers: Record<string, unknown> | undefined): { get(name: string): string | null } {
  return {
    get(name) {
      const v = headers?.[name]
      return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null
    },
  }
}

/**
 * Create the SDK clients, sharing one retrying session. Rejects with MissingPackageError when
 * klaviyo-api is not installed.
 */
export async function createKlaviyoClients(options: KlaviyoClientOptions): Promise<KlaviyoClients> {
  const sdk = await loadKlaviyoSdk()
  const apiBase = (options.apiBase || DEFAULT_KLAVIYO_API_BASE).replace(/\/+$/, '')
  const session = new RelaySession(sdk, options.privateKey, options.retry ?? {}, options.signal)
  const events = new sdk.EventsApi(session)
  const metrics = new sdk.MetricsApi(session)
  const profiles = new sdk.ProfilesApi(session)
  const webhooks = new sdk.WebhooksApi(session)
  // The generated clients build every URL as `this.basePath + '/api/…'`.
  for (const api of [events, metrics, profiles, webhooks]) api.basePath = apiBase
  return { events, metrics, profiles, webhooks, apiBase }
}

/** Translate an SDK/axios failure into a typed relay error (401/403, unreachable, other status). */
export function toKlaviyoError(err: unknown, apiBase: string): Error {
  if (err instanceof RelayError) return err
  const res = httpResponse(err)
  if (res) {
    const { status, data } = res
    const detail = errorDetail(data) ?? (res.statusText || (err as Error).message)
    if (status === 401 || status === 403) return new KlaviyoAuthError(status, detail)
    return new KlaviyoApiError(status, detail)
  }
  if (networkErrorCode(err) !== undefined) return new UnreachableHostError('Klaviyo', apiBase, err)
  return err instanceof Error ? err : new Error(String(err))
}

function errorDetail(data: unknown): string | undefined {
  const errors = (data as { errors?: Array<{ detail?: unknown; title?: unknown }> } | undefined)?.errors
  const first = Array.isArray(errors) ? errors[0] : undefined
  const d = first?.detail ?? first?.title
  return typeof d === 'string' ? d : undefined
}
