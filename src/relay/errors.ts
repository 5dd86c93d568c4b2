/**
 * Typed relay errors. Each carries a stable `code` (for programs) and an `exitCode` (for the CLI),
 * and a message that says what to do next, because these surface directly in cron mail and CI logs.
 */
import { redactSecrets } from '../shared/redact'

/** Stable machine-readable error codes. */
export type RelayErrorCode =
  | 'usage'
  | 'missing_key'
  | 'klaviyo_auth'
  | 'segment_auth'
  | 'unknown_metric'
  | 'unreachable'
  | 'klaviyo_api'
  | 'segment_delivery'
  | 'segment_refused'
  | 'state_file'
  | 'state_locked'
  | 'missing_package'

/**
 * CLI exit codes: 2 bad usage/configuration (a missing optional package included), 3 a key was
 * rejected, 4 a host was unreachable, 5 another poller holds the state file, 6 the poll finished
 * but Segment refused some events for good (listed on stderr; the cursor moved past them), 1 anything else.
 */
export const EXIT_CODES: Record<RelayErrorCode, number> = {
  usage: 2,
  missing_key: 2,
  unknown_metric: 2,
  state_file: 2,
  missing_package: 2,
  state_locked: 5,
  klaviyo_auth: 3,
  segment_auth: 3,
  unreachable: 4,
  klaviyo_api: 1,
  segment_delivery: 1,
  segment_refused: 6,
}

/** Base class of every error the relay throws on purpose. */
export class RelayError extends Error {
  readonly code: RelayErrorCode
  constructor(code: RelayErrorCode, message: string, options?: { cause?: unknown }) {
    // Messages quote URLs and vendor answers; credentials in them must never reach cron mail or logs.
    super(redactSecrets(message), options)
    this.name = 'RelayError'
    this.code = code
  }
  /** Process exit code the CLI uses for this error. */
  get exitCode(): number {
    return EXIT_CODES[this.code]
  }
}

/** Bad command-line usage (unknown flag, missing --once/--follow, unparsable value). */
export class UsageError extends RelayError {
  constructor(message: string) {
    super('usage', message)
    this.name = 'UsageError'
  }
}

/** A required key or secret was not configured. */
export class MissingKeyError extends RelayError {
  readonly variable: string
  constructor(variable: string, purpose: string) {
    super('missing_key', `${variable} is not set: ${purpose}.`)
    this.name = 'MissingKeyError'
    this.variable = variable
  }
}

/** An optional package this command needs is not installed (klaviyo-api for relay poll and relay check). */
export class MissingPackageError extends RelayError {
  readonly packageName: string
  /** The npm command that installs it. */
  readonly install: string
  constructor(packageName: string, what: string, install: string, cause?: unknown) {
    super('missing_package', `the package ${packageName} (${what}) is not installed: it is an optional peer dependency of mailstitch. Install it beside mailstitch: ${install}`, { cause })
    this.name = 'MissingPackageError'
    this.packageName = packageName
    this.install = install
  }
}

/** Klaviyo answered 401/403: the private key is wrong, revoked, or lacks a scope. */
export class KlaviyoAuthError extends RelayError {
  readonly status: number
  constructor(status: number, detail?: string) {
    super(
      'klaviyo_auth',
      status === 403
        ? `Klaviyo refused the request (403)${detail ? `: ${detail}` : ''}. The private key in KLAVIYO_PRIVATE_KEY needs the scopes events:read, metrics:read and profiles:read.`
        : `Klaviyo rejected KLAVIYO_PRIVATE_KEY (401)${detail ? `: ${detail}` : ''}. Check that it is a private API key (pk_…) of the right account and has not been revoked.`,
    )
    this.name = 'KlaviyoAuthError'
    this.status = status
  }
}

/** Segment answered 401/403: the write key is wrong or the source is disabled. */
export class SegmentAuthError extends RelayError {
  readonly status: number
  constructor(status: number) {
    super(
      'segment_auth',
      `Segment rejected SEGMENT_WRITE_KEY (${status}). Use the write key of an enabled HTTP API or Node.js source.`,
    )
    this.name = 'SegmentAuthError'
    this.status = status
  }
}

/** None of the Klaviyo email metrics the relay maps exist in the account. */
export class UnknownMetricError extends RelayError {
  readonly wanted: readonly string[]
  constructor(wanted: readonly string[], found: readonly string[]) {
    super(
      'unknown_metric',
      `None of the Klaviyo email metrics (${wanted.join(', ')}) exist in this Klaviyo account` +
        (found.length ? ` (it has: ${found.slice(0, 12).join(', ')}${found.length > 12 ? ', …' : ''})` : '') +
        '. Has this account sent any email yet?',
    )
    this.name = 'UnknownMetricError'
    this.wanted = wanted
  }
}

/** A host could not be reached at all (DNS, refused, reset, timeout) even after retries. */
export class UnreachableHostError extends RelayError {
  readonly url: string
  constructor(service: 'Klaviyo' | 'Segment', url: string, cause: unknown) {
    const why = describeNetworkError(cause)
    const hint = service === 'Klaviyo' ? 'KLAVIYO_API_BASE' : 'SEGMENT_API_HOST'
    super('unreachable', `Cannot reach ${service} at ${url} (${why}). Check the network and ${hint}.`, { cause })
    this.name = 'UnreachableHostError'
    this.url = redactSecrets(url)
  }
}

/** Klaviyo answered with an unexpected error status after retries. */
export class KlaviyoApiError extends RelayError {
  readonly status: number
  constructor(status: number, detail: string) {
    super('klaviyo_api', `Klaviyo API error ${status}: ${detail}`)
    this.name = 'KlaviyoApiError'
    this.status = status
  }
}

/**
 * Klaviyo answered 2xx with something that is not the documented JSON:API document (a proxy's HTML
 * maintenance page, a `data` that is not a list): an error, never an empty page, so the cursor stays.
 */
export class KlaviyoResponseError extends KlaviyoApiError {
  constructor(call: string, problem: string) {
    super(200, `${call} answered with ${problem}. Nothing was read from it and the cursor stays where it was; the next run reads these events again.`)
    this.name = 'KlaviyoResponseError'
  }
}

/** Segment did not accept a batch after bounded retries; the events will be sent again next run. */
export class SegmentDeliveryError extends RelayError {
  readonly failed: number
  constructor(failed: number, reason: string) {
    super(
      'segment_delivery',
      `Segment did not accept ${failed} event(s) after retries (${reason}). State was saved up to the last accepted event; they will be sent again on the next run.`,
    )
    this.name = 'SegmentDeliveryError'
    this.failed = failed
  }
}

/**
 * The poll finished, but Segment refused some events for good (a 400 for that one event, or an
 * event too large even cut to fit): they were skipped so they block nothing, and are named here.
 */
export class SegmentRefusedError extends RelayError {
  readonly refused: ReadonlyArray<{ messageId: string; reason: string }>
  constructor(count: number, refused: ReadonlyArray<{ messageId: string; reason: string }>) {
    const shown = refused.slice(0, 5).map((r) => `${r.messageId} (${r.reason})`).join('; ')
    super(
      'segment_refused',
      `Segment refused ${count} event(s) for good: ${shown}${count > 5 ? '; …' : ''}. The other events were delivered and the cursor moved past these; ` +
        'they will not be sent again (re-drive the window once the cause is fixed).',
    )
    this.name = 'SegmentRefusedError'
    this.refused = refused
  }
}

/** The state file exists but cannot be read, parsed or written. */
export class StateFileError extends RelayError {
  readonly path: string
  constructor(path: string, problem: string, cause?: unknown) {
    super('state_file', `State file ${path}: ${problem}`, { cause })
    this.name = 'StateFileError'
    this.path = path
  }
}

/** Another poller holds the lock of this state file (two pollers on one state would both send). */
export class StateLockedError extends RelayError {
  readonly path: string
  readonly owner: { pid: number; host: string; startedAt: string }
  constructor(statePath: string, lockPath: string, owner: { pid: number; host: string; startedAt: string }) {
    super(
      'state_locked',
      `State file ${statePath} is in use by another relay poll (pid ${owner.pid} on ${owner.host}, started ${owner.startedAt}); ` +
        `two pollers on one state file would send the same events twice. Let that one finish, stop it, or give this one its own --state. ` +
        `If no poller is running, delete ${lockPath}.`,
    )
    this.name = 'StateLockedError'
    this.path = statePath
    this.owner = owner
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
])

/** Error code of a network-level failure (no HTTP response), or undefined. Looks through `cause`. */
export function networkErrorCode(err: unknown): string | undefined {
  // Codes first, anywhere in the cause chain (fetch wraps them: TypeError('fetch failed', {cause})).
  let fallback: string | undefined
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code
    const msg = (e as { message?: unknown }).message
    if (!fallback && typeof msg === 'string' && /socket hang up|fetch failed|other side closed/i.test(msg)) fallback = 'ECONNRESET'
    e = (e as { cause?: unknown }).cause
  }
  return fallback
}

function describeNetworkError(err: unknown): string {
  const code = networkErrorCode(err)
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found'
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timed out'
  if (code) return code
  return err instanceof Error ? err.message : String(err)
}
