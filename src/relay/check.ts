/**
 * `mailstitch relay check`: find out before any data is lost whether the relay can run. Checks
 * what can be checked (keys present and shaped right, Klaviyo accepting the key, each read scope,
 * email metrics, webhook topics, Segment reachable) and says plainly what cannot: Segment answers
 * `200 {"success":true}` to any write key and to an EU workspace posting to the US endpoint
 * (segment-docs http-api; analytics-node issue 59), so whether the key belongs to a real source
 * and which region the workspace is in can only be seen in the source's debugger.
 */
import { redactSecrets } from '../shared/redact'
import { shopifySecretWarnings } from '../shared/relay-settings'
import { WEBHOOK_TOPIC_TO_METRIC } from '../shared/klaviyo-map'
import { readListDocument } from '../shared/klaviyo-document'
import { EXIT_CODES, KlaviyoAuthError, MissingPackageError, RelayError, UnknownMetricError, UnreachableHostError, networkErrorCode } from './errors'
import { createKlaviyoClients, toKlaviyoError, type KlaviyoClients } from './klaviyo-client'
import { findEmailMetrics } from './metrics'
import type { RelayOptions } from './relay'
import { segmentHost } from './segment-region'

/** Outcome of one check. */
type CheckStatus = 'ok' | 'warn' | 'fail'

/** One line of the report. */
interface CheckResult {
  /** Short name of what was checked, e.g. `klaviyo.events`. */
  name: string
  status: CheckStatus
  message: string
  /** For failures: the exit code the relay itself would exit with. */
  exitCode?: number
}

/** The whole report: exit code 0 when the relay can run (warnings allowed). */
export interface CheckReport {
  results: CheckResult[]
  exitCode: number
}

/** Input of {@link checkRelay}. */
export interface CheckInput {
  relay: RelayOptions
  /** SHOPIFY_WEBHOOK_SECRET (comma-separated during a rotation), when set. */
  shopifyWebhookSecret?: string
  /** Per-request timeout, ms. Default 10 000. */
  timeoutMs?: number
}

/** Run every check; never throws for a failed check (it is a line of the report). */
export async function checkRelay(input: CheckInput): Promise<CheckReport> {
  const results: CheckResult[] = []
  const o = input.relay
  const timeoutMs = input.timeoutMs ?? 10_000
  if (!o.klaviyoPrivateKey && !o.segmentWriteKey) {
    // No key at all: say so at once, before any look-up or request.
    results.push(missingKlaviyoKey(), missingSegmentKey())
  } else {
    await checkKlaviyo(o, timeoutMs, results)
    await checkSegment(o, timeoutMs, results)
  }
  if (input.shopifyWebhookSecret !== undefined) checkShopifySecret(input.shopifyWebhookSecret, results)
  const failure = results.find((r) => r.status === 'fail')
  return { results, exitCode: failure ? (failure.exitCode ?? 1) : 0 }
}

/** The report as lines, one per check: `ok   …`, `warn …`, `FAIL …`, then a verdict. */
export function formatCheckReport(report: CheckReport): string[] {
  const tag = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const
  const lines = report.results.map((r) => `${tag[r.status]} ${r.name}: ${r.message}`)
  const warnings = report.results.filter((r) => r.status === 'warn').length
  lines.push(
    report.exitCode === 0
      ? `relay check: usable${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'}: read them)` : ''}.`
      : `relay check: not usable; fix the FAIL lines (exit code ${report.exitCode}).`,
  )
  return lines
}

// Every line quotes configured URLs (KLAVIYO_API_BASE, SEGMENT_API_HOST): credentials in them are redacted.
const ok = (name: string, message: string): CheckResult => ({ name, status: 'ok', message: redactSecrets(message) })
const warn = (name: string, message: string): CheckResult => ({ name, status: 'warn', message: redactSecrets(message) })
const fail = (name: string, message: string, exitCode: number): CheckResult => ({ name, status: 'fail', message: redactSecrets(message), exitCode })

/** The scope each read needs, as Klaviyo names it when creating a private key. */
const SCOPE_OF = { metrics: 'metrics:read', events: 'events:read', profiles: 'profiles:read' } as const

async function checkKlaviyo(o: RelayOptions, timeoutMs: number, results: CheckResult[]): Promise<void> {
  const key = o.klaviyoPrivateKey
  if (!key) {
    results.push(missingKlaviyoKey())
    return
  }
  // Klaviyo's private keys start with pk_ (its public key is the 6-character site id); what
  // follows is not documented, so only the prefix is asked for (the demo's pk_demo_relay passes).
  if (!/^pk_[^\s"']+$/.test(key)) {
    results.push(warn('klaviyo.key', 'KLAVIYO_PRIVATE_KEY does not look like a private API key (pk_…); the 6-character public key (site id) cannot read events.'))
  }
  let clients: KlaviyoClients
  try {
    clients = await createKlaviyoClients({ privateKey: key, apiBase: o.klaviyoApiBase, retry: { httpAttempts: 2, maxIntervalSeconds: 2, networkAttempts: 1, timeoutMs } })
  } catch (err) {
    if (!(err instanceof MissingPackageError)) throw err
    results.push(fail('klaviyo.client', err.message, err.exitCode))
    return
  }
  const base = clients.apiBase

  // Metrics first: a 401 here means the key itself is refused, and nothing else is worth asking.
  const metrics = await klaviyoRead(() => clients.metrics.getMetrics({ filter: 'equals(integration.name,"Klaviyo")', fieldsMetric: ['name'] }), base)
  if (metrics.error instanceof KlaviyoAuthError && metrics.error.status === 401) {
    results.push(fail('klaviyo.key', `Klaviyo refused KLAVIYO_PRIVATE_KEY (401) at ${base}: wrong account, revoked, or not a private key.`, EXIT_CODES.klaviyo_auth))
    return
  }
  if (metrics.error instanceof UnreachableHostError) {
    results.push(fail('klaviyo.reachable', metrics.error.message, EXIT_CODES.unreachable))
    return
  }
  if (!metrics.error) results.push(ok('klaviyo.key', `accepted by ${base}`))

  for (const [scope, read] of [
    ['metrics', async () => metrics],
    ['events', () => klaviyoRead(() => clients.events.getEvents({ fieldsEvent: ['datetime'], pageSize: 1 }), base)],
    ['profiles', () => klaviyoRead(() => clients.profiles.getProfiles({ fieldsProfile: ['email'], pageSize: 1 }), base)],
  ] as const) {
    const r = await read()
    const name = `klaviyo.scope.${SCOPE_OF[scope]}`
    if (!r.error) results.push(ok(name, `${scope} can be read`))
    else if (r.error instanceof KlaviyoAuthError) results.push(fail(name, `Klaviyo refused to list ${scope} (${r.error.status}): give the private key read access to ${scope[0].toUpperCase()}${scope.slice(1)} (${SCOPE_OF[scope]}).`, EXIT_CODES.klaviyo_auth))
    else results.push(fail(name, r.error.message, exitCodeOf(r.error)))
  }

  if (!metrics.error) await checkEmailMetrics(clients, results)
  if (o.webhookSecret) await checkWebhookTopics(clients, results)
}

async function checkEmailMetrics(clients: KlaviyoClients, results: CheckResult[]): Promise<void> {
  try {
    const found = await findEmailMetrics(clients.metrics, clients.apiBase)
    results.push(ok('klaviyo.metrics', `email metrics found: ${found.map((m) => m.name).join(', ')}`))
  } catch (err) {
    if (err instanceof UnknownMetricError) results.push(fail('klaviyo.metrics', err.message, EXIT_CODES.unknown_metric))
    else results.push(fail('klaviyo.metrics', (err as Error).message, exitCodeOf(err)))
  }
}

async function checkWebhookTopics(clients: KlaviyoClients, results: CheckResult[]): Promise<void> {
  const r = await klaviyoRead(() => clients.webhooks.getWebhookTopics(), clients.apiBase)
  if (r.error) {
    const why = r.error instanceof KlaviyoAuthError ? `Klaviyo answered ${r.error.status}` : r.error.message
    results.push(
      warn(
        'klaviyo.webhooks',
        `cannot list webhook topics (${why}): the key needs webhooks:read to check them, and system webhooks need Advanced KDP. Check Klaviyo → Settings → Webhooks that a webhook sends the email topics to relay serve.`,
      ),
    )
    return
  }
  // The raw answer through the one shape check (the SDK's deserialiser would read a proxy's page as no topics).
  const doc = readListDocument((r.value as { response?: { data?: unknown } }).response?.data)
  if (!doc.ok) {
    results.push(fail('klaviyo.webhooks', `Klaviyo answered Get Webhook Topics with ${doc.problem}, not its documented JSON:API document (a proxy or maintenance page?); run relay check again later.`, 1))
    return
  }
  const ids = doc.document.data.map((t) => t.id)
  const relayed = ids.filter((id) => Object.prototype.hasOwnProperty.call(WEBHOOK_TOPIC_TO_METRIC, id))
  if (!relayed.length) {
    results.push(fail('klaviyo.webhooks', `KLAVIYO_WEBHOOK_SECRET is set but the account offers none of the email webhook topics (it has: ${ids.slice(0, 8).join(', ') || 'none'}). System webhooks need Advanced KDP; use relay poll instead.`, EXIT_CODES.unknown_metric))
  } else {
    results.push(ok('klaviyo.webhooks', `email webhook topics available: ${relayed.join(', ')}`))
  }
}

async function checkSegment(o: RelayOptions, timeoutMs: number, results: CheckResult[]): Promise<void> {
  const key = o.segmentWriteKey
  const host = segmentHost(o.segmentApiHost, o.segmentRegion).replace(/\/+$/, '')
  if (!key) {
    results.push(missingSegmentKey())
  } else if (!/^[A-Za-z0-9_-]{16,64}$/.test(key)) {
    const why = /\s|["']/.test(key) ? 'it holds spaces or quotes' : /:/.test(key) ? 'it holds a colon (paste the key alone, not "user:password" or a header)' : 'it is not 16–64 letters and digits'
    results.push(fail('segment.key', `SEGMENT_WRITE_KEY is not shaped like a Segment write key: ${why}.`, EXIT_CODES.missing_key))
  } else {
    results.push(ok('segment.key', 'set and shaped like a write key'))
  }

  // Reachability: an empty batch carries no event, so nothing lands in the source.
  if (key) await checkSegmentReachable(host, key, timeoutMs, results)

  const region = o.segmentApiHost ? `SEGMENT_API_HOST=${host}` : `region ${o.segmentRegion ?? 'us'} (${host})`
  results.push(
    warn(
      'segment.unverifiable',
      `Segment answers 200 to any write key and to an EU workspace posting to the US endpoint, so neither can be verified from here (${region}). ` +
        'After the first poll, open the source in Segment (Connections → Sources → your source → Debugger) and check the email events arrive; an EU workspace needs SEGMENT_REGION=eu or --region eu.',
    ),
  )
}

async function checkSegmentReachable(host: string, key: string, timeoutMs: number, results: CheckResult[]): Promise<void> {
  try {
    const res = await fetch(`${host}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, 'user-agent': 'mailstitch-relay-check' },
      body: JSON.stringify({ batch: [], sentAt: new Date().toISOString() }),
      signal: AbortSignal.timeout(timeoutMs),
    })
    await res.arrayBuffer().catch(() => undefined)
    if (res.status === 401 || res.status === 403) results.push(fail('segment.reachable', `${host} refused the write key (${res.status}).`, EXIT_CODES.segment_auth))
    else results.push(ok('segment.reachable', `${host} answers (HTTP ${res.status})`))
  } catch (err) {
    results.push(fail('segment.reachable', new UnreachableHostError('Segment', host, networkErrorCode(err) ? err : Object.assign(new Error((err as Error).message), { code: 'ETIMEDOUT' })).message, EXIT_CODES.unreachable))
  }
}

function missingKlaviyoKey(): CheckResult {
  return fail('klaviyo.key', 'KLAVIYO_PRIVATE_KEY is not set: create a private API key with read access to Events, Metrics and Profiles (Klaviyo → Settings → API keys).', EXIT_CODES.missing_key)
}

function missingSegmentKey(): CheckResult {
  return fail('segment.key', 'SEGMENT_WRITE_KEY is not set: copy the write key of an HTTP API (or Node.js) source in Segment.', EXIT_CODES.missing_key)
}

/** Shopify webhook secrets: any non-empty one is accepted, as `relay serve` does; doubtful shapes warn (the one rule: shopifySecretWarnings). */
function checkShopifySecret(raw: string, results: CheckResult[]): void {
  const secrets = raw.split(',').map((s) => s.trim()).filter(Boolean)
  if (!secrets.length) {
    results.push(fail('shopify.secret', 'SHOPIFY_WEBHOOK_SECRET is set but empty.', EXIT_CODES.missing_key))
    return
  }
  const warnings = shopifySecretWarnings(secrets)
  for (const w of warnings) results.push(warn('shopify.secret', w))
  if (!warnings.length) results.push(ok('shopify.secret', `shaped like a Shopify webhook secret${secrets.length > 1 ? ` (${secrets.length} secrets)` : ''}`))
}

async function klaviyoRead<T>(call: () => Promise<T>, apiBase: string): Promise<{ value?: T; error?: Error }> {
  try {
    return { value: await call() }
  } catch (err) {
    return { error: toKlaviyoError(err, apiBase) }
  }
}

function exitCodeOf(err: unknown): number {
  return err instanceof RelayError ? err.exitCode : 1
}
