// The one explicit context every step of an instance reads and writes: its options, its
// analytics source, its consent gate and the little it remembers on this page.
import type { AnalyticsLike, CaptureFailure, CaptureResult, MailstitchOptions } from '../types'
import type { AnalyticsSource } from './analytics'
import { askConsent } from './consent'
import type { Job, StepName } from './outbox'
import { makeLog, type Log } from './log'
import type { SnippetLanding } from '../../snippet/inline'

/** An adopted token and the anonymousId it replaced; nothing when identity was left alone. */
export type Adoption = { from: string | null; to: string } | null | void

/**
 * What the core calls in the runner (src/browser/runner/): the work only some pages have, a
 * landing to decide and capture jobs to send. The core never imports it; the entry that starts
 * an instance gives the context its way to it (`loadRunner`): the npm build a dynamic import,
 * the script tag a second file (runner-loader.script.ts).
 */
export interface Runner {
  /** The runner's release; the script tag's core refuses another one. */
  version: string
  /** Decide a landing with `token` (or report the inline snippet's adoption): adopt it or not, and report `Email Link Landed`. */
  decideLanding(context: Context, token: string, snippet?: SnippetLanding): Promise<Adoption>
  /** Run a job's steps left; resolves the capture's result. */
  runJob(context: Context, job: Job): Promise<CaptureResult>
  /** Run every stored job this instance is not running already. */
  flushOutbox(context: Context): Promise<void>
  /** Shopify's consent once its Customer Privacy API has loaded (core/consent.ts `waitForShopifyConsent`). */
  waitForShopifyConsent(): Promise<boolean>
  /** Consent withdrawn: remove the state cookie (cookies are written only by the runner, with js-cookie). */
  forgetVisitor(): void
}

/** The runner, once loaded; rejects when it cannot be (jobs then stay stored for the next page). */
export type RunnerLoader = () => Promise<Runner>

/** A context without a way to the runner (tests of the core alone): landings keep identity, jobs stay stored. */
const noRunner: RunnerLoader = () => Promise.reject(new Error('mailstitch: no runner'))

/** The state of one mailstitch instance. */
export interface Context {
  options: MailstitchOptions
  /** Query parameter carrying the bridge token. */
  linkParam: string
  log: Log
  /** How this build reaches the runner (see `Runner`). */
  loadRunner: RunnerLoader
  /** The analytics object: the one given, else `window.analytics`, read on each use. */
  analytics: AnalyticsSource
  /** The consent answer now (a promise when it is not known yet). */
  consent: () => boolean | Promise<boolean>
  /** When each email was last captured on this page (the same email within 5 s is sent once). */
  recentCaptures: Map<string, number>
  /** Klaviyo forms already captured on this page (`formId email`): a multi-step form reports its email more than once. */
  klaviyoFormsCaptured: Set<string>
  /** Jobs this instance is running now (the start-up flush must not run a capture's job a second time). */
  runningJobs: Set<string>
  /**
   * Segment steps handed to analytics.js on this page, by messageId (made by the runner when it
   * first hands one over): at `pagehide`, those analytics.js persisted to resend itself count as sent.
   */
  handedToAnalytics?: Map<string, { job: Job; step: StepName }>
  /** The landing's token while it waits for consent. */
  pendingToken?: string
  /**
   * When the core started a landing the inline snippet had not, with analytics.js up already
   * (a tag placed too late): the Segment requests the page started before then were sent under
   * the previous id (`early_events`).
   */
  lateSince?: number
  /** The landing decision; event processing waits on it (never long). */
  adoption: Promise<Adoption>
  /** Consent was withdrawn on this page: the visitor is forgotten (until it is given again). */
  forgotten?: boolean
  /** Undo functions of everything this instance added (listeners, the Segment plugin). */
  cleanups: (() => void)[]
  /** `destroy()` was called (absent until then). */
  destroyed?: boolean
}

/** A fresh context for `options` (also `null` from untyped callers), reaching the runner through `loadRunner`. */
export function createContext(options: MailstitchOptions | null | undefined, loadRunner: RunnerLoader = noRunner): Context {
  const safe = options || {}
  return {
    options: safe,
    linkParam: safe.linkParam || 'mst',
    log: makeLog(safe.debug),
    loadRunner,
    analytics: () => safe.analytics || (window as { analytics?: AnalyticsLike }).analytics,
    // A wait for Shopify's API that fails to start (no runner) is a denial.
    consent: () => askConsent(safe.consent, () => loadRunner().then((runner) => runner.waitForShopifyConsent(), () => false)),
    recentCaptures: new Map(),
    klaviyoFormsCaptured: new Set(),
    runningJobs: new Set(),
    adoption: Promise.resolve(),
    cleanups: [],
  }
}

/** A failed capture, logged. */
export function failure(context: Context, reason: CaptureFailure): CaptureResult {
  context.log(reason)
  return { ok: false, reason }
}

/** Consent is still given and the instance still alive (asked before each retry). */
export function stillAllowed(context: Context): boolean {
  return !context.destroyed && context.consent() !== false
}

/** Add an event listener (a locked-down page may refuse: capture() still works) and remember how to remove it. */
export function listen(context: Context, target: EventTarget, type: string, handler: (event: Event) => void, capture?: boolean): void {
  try {
    target.addEventListener(type, handler, capture)
  } catch { /* refused */ }
  context.cleanups.push(() => target.removeEventListener(type, handler, capture))
}
