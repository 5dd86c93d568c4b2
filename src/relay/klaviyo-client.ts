/**
 * klaviyo-api clients pointed at KLAVIYO_API_BASE, with the two things the SDK does not do itself:
 * a request timeout and retries of network errors (its RetryWithExponentialBackoff only retries
 * HTTP statuses, honouring Retry-After on 429). Also turns SDK/axios errors into typed errors.
 * The SDK itself is loaded on first use (src/relay/klaviyo-sdk.ts): it is an optional peer dependency.
 */
import type { ApiKeySession, EventsApi, MetricsApi, ProfilesApi, Session, WebhooksApi } from 'klaviyo-api'
import { loadKlaviyoSdk, type KlaviyoSdk } from './klaviyo-sdk'
import { KlaviyoApiError, KlaviyoAuthError, RelayError, UnreachableHostError, networkErrorCode } from './errors'
import { retryWithBackoff } from './retry'

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

/** Default Klaviyo API origin. */
export const DEFAULT_KLAVIYO_API_BASE = 'https://a.klaviyo.com'

/** Retry tuning for Klaviyo calls. */
export interface KlaviyoRetryOptions {
  /** Total attempts for HTTP 429/5xx (the SDK's `numRetries` counts attempts). Default 8. */
  httpAttempts?: number
  /** Longest wait between HTTP retries, seconds. Default 60. */
  maxIntervalSeconds?: number
  /** Total attempts for network errors (refused, reset, DNS, timeout). Default 5. */
  networkAttempts?: number
  /** First network-retry delay in ms, doubled each attempt, capped at 30 s. Default 500. */
  networkBaseDelayMs?: number
  /** Per-request timeout in ms. Default 60 000. */
  timeoutMs?: number
}

/** Options of {@link createKlaviyoClients}. */
export interface KlaviyoClientOptions {
  privateKey: string
  apiBase?: string
  retry?: KlaviyoRetryOptions
  /** Aborts pending network-retry waits (relay stop). */
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

/** Session that adds a timeout and network-error retries around the SDK's ApiKeySession. */
class RelaySession implements Session {
  private readonly inner: ApiKeySession
  private readonly opts: Required<Pick<KlaviyoRetryOptions, 'networkAttempts' | 'networkBaseDelayMs' | 'timeoutMs'>>
  private readonly signal?: AbortSignal

  constructor(sdk: KlaviyoSdk, privateKey: string, retry: KlaviyoRetryOptions, signal?: AbortSignal) {
    this.inner = new sdk.ApiKeySession(
      privateKey,
      new sdk.RetryWithExponentialBackoff({
        // 500/502 are added to the SDK default (429, 503, 504, 524): both are transient at Klaviyo.
        retryCodes: [429, 500, 502, 503, 504, 524],
        numRetries: retry.httpAttempts ?? 8,
        maxInterval: retry.maxIntervalSeconds ?? 60,
      }),
    )
    this.opts = {
      networkAttempts: retry.networkAttempts ?? 5,
      networkBaseDelayMs: retry.networkBaseDelayMs ?? 500,
      timeoutMs: retry.timeoutMs ?? 60_000,
    }
    this.signal = signal
  }

  applyToRequest(config: AxiosRequestConfig): void {
    this.inner.applyToRequest(config)
    config.timeout ??= this.opts.timeoutMs
  }

  async requestWithRetry(config: AxiosRequestConfig): Promise<AxiosResponse> {
    // HTTP statuses are retried inside the SDK session (429 with Retry-After); this adds network errors.
    const policy = { retries: Math.max(0, this.opts.networkAttempts - 1), baseDelayMs: this.opts.networkBaseDelayMs, maxDelayMs: 30_000 }
    const out = await retryWithBackoff<{ response: AxiosResponse } | { error: unknown }>(async () => {
      try {
        return { value: { response: await this.inner.requestWithRetry(config) }, retry: false }
      } catch (error) {
        const network = !httpResponse(error) && networkErrorCode(error) !== undefined
        return { value: { error }, retry: network }
      }
    }, policy, this.signal)
    if ('error' in out) throw out.error
    return out.response
  }

  refreshAndRetry(): boolean {
    return false
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

/** `page[cursor]` of a JSON:API `links.next` URL (the SDK only extracts it from https URLs). */
export function nextPageCursor(next: string | null | undefined): string | undefined {
  if (!next) return undefined
  try {
    return new URL(next).searchParams.get('page[cursor]') ?? undefined
  } catch {
    return undefined
  }
}

function errorDetail(data: unknown): string | undefined {
  const errors = (data as { errors?: Array<{ detail?: unknown; title?: unknown }> } | undefined)?.errors
  const first = Array.isArray(errors) ? errors[0] : undefined
  const d = first?.detail ?? first?.title
  return typeof d === 'string' ? d : undefined
}
