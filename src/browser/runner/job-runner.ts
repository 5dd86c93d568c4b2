// Step 3, the job runner: carry out a capture's steps that were not handed off yet, on this page
// or a later one. A step counts as sent once analytics.js reports it delivered, or once it sits in
// analytics.js's persisted retry queue as the page goes (it resends those with the same messageId
// on the next page), and a Klaviyo request once Klaviyo answered. Each event is thereby sent
// once, not once by analytics.js and again by the outbox. The job's life (sending, sent, dropped)
// is moved only through core/delivery.ts.
import { EMAIL_CAPTURED } from '../../shared/email-events'
import type { CaptureResult } from '../types'
import { callAnalytics, currentVisitor, isLoaded, persistedByAnalytics, whenLoaded } from '../core/analytics'
import { failure, listen, stillAllowed, type Context } from '../core/context'
import { klaviyoRequests, sendKlaviyo, type KlaviyoRequest } from './klaviyo-client'
import type { Job, StepName } from '../core/outbox'
import { ANONYMOUS_ID_WAIT_MS, drop, markSent, startSending, update, waitingJobs } from '../core/delivery'
import { writeState } from './state-cookie'
import { mintAnonymousId } from './anonymous-id'

export { markSent, stepsOf } from '../core/delivery'

/**
 * Fix the job's bridge id: the anonymousId now, once analytics can tell (on a first page view
 * analytics.js creates it when it loads; one it stored on an earlier page is read at once), and
 * store the job with it (its run counted too).
 * Where the snippet's stub is there but analytics.js has not loaded within the wait (an ad
 * blocker, a failing CDN), one is minted for analytics.js to adopt (anonymous-id.ts): the
 * Klaviyo steps go out now, the Segment steps wait in the outbox for a page where it loads.
 * False when there is no analytics at all, or nothing to mint with (no `crypto.randomUUID`).
 */
export async function resolveBridgeId(context: Context, job: Job): Promise<boolean> {
  if (job.bridgeId) return true
  if (!context.analytics()) return false
  let visitor = currentVisitor(context.analytics)
  // Where the anonymousId came from, for the debug log: analytics.js, its storage, or minted.
  let from = 'storage'
  if (!visitor.anonymousId) {
    update(job) // the run `startSending` counted is stored before the wait, for a page that goes meanwhile
    const loaded = await whenLoaded(context.analytics, ANONYMOUS_ID_WAIT_MS)
    visitor = currentVisitor(context.analytics)
    if (!loaded && !visitor.anonymousId && !context.destroyed) {
      visitor.anonymousId = mintAnonymousId(context.analytics) || null
      from = 'minted'
    }
  }
  if (!visitor.anonymousId || context.destroyed) return false
  job.bridgeId = visitor.anonymousId
  job.userId = visitor.userId
  update(job)
  writeState({ captured: true, bridgeId: job.bridgeId }, visitor.state)
  agreeWithKlaviyoJs(context, job)
  const loaded = isLoaded(context.analytics)
  context.log('captured', job.email, job.bridgeId, loaded ? 'analytics.js' : from + ', analytics.js not loaded')
  // The bridge id is analytics.js's anonymousId, read in this task: the Segment steps go now,
  // before anything can change it, and need no `anonymousId` option (see sendSegmentSteps).
  if (loaded) sendSegmentSteps(context, job, false)
  return true
}

/** klaviyo.js on the page: keep Klaviyo's own onsite identity in agreement. */
function agreeWithKlaviyoJs(context: Context, job: Job): void {
  try {
    const klaviyo = (window as { klaviyo?: { identify?(p: object): { catch?(f: (e: unknown) => void): void } | undefined } }).klaviyo
    klaviyo?.identify?.({ email: job.email, segment_anonymous_id: job.bridgeId })?.catch?.(context.log)
  } catch { /* a third-party object */ }
}

/**
 * At `pagehide`, the steps analytics.js has just persisted to resend itself on the next page
 * count as sent (the outbox must not send them a second time). Listened for once analytics.js
 * has loaded, so this runs after analytics.js's own `pagehide` listeners wrote its queues.
 */
function handedSteps(context: Context): Map<string, { job: Job; step: StepName }> {
  if (context.handedToAnalytics) return context.handedToAnalytics
  const handed = new Map<string, { job: Job; step: StepName }>()
  context.handedToAnalytics = handed
  listen(context, window, 'pagehide', () => {
    const persisted = persistedByAnalytics(context.analytics)
    for (const [messageId, { job, step }] of handed) {
      if (!job.sent.includes(step) && persisted.has(messageId)) markSent(context, job, step)
    }
  })
  return handed
}

/**
 * One Segment step: called, and recorded as sent once analytics.js reports it delivered, or once
 * it sits in analytics.js's persisted queue as the page goes (`handedSteps`; analytics-next 1.84
 * persists in-flight requests too). Left unsent otherwise (an analytics.js that persisted
 * nothing, or runs without its retry queue): the next page sends it.
 */
function sendSegmentStep(context: Context, job: Job, step: 'identify' | 'track', args: unknown[]): void {
  const messageId = (args[args.length - 1] as { messageId: string }).messageId
  const handed = handedSteps(context)
  if (job.sent.includes(step) || handed.has(messageId)) return // sent, or handed over on this page already
  handed.set(messageId, { job, step })
  // Its promise, not a trailing callback: analytics-next holds a callback back for 300 ms on two timers.
  const result = callAnalytics(context.analytics, step, args) as Promise<{ failedDelivery?(): unknown } | undefined> | undefined
  result?.then?.((ctx) => ctx?.failedDelivery?.() || markSent(context, job, step), () => {})
}

/**
 * Segment: identify (traits-only without a userId, which keeps analytics.js's own), then
 * Email Captured. Called once analytics.js has loaded: a call buffered in the snippet stub is
 * lost when the page unloads first, and the next page sends it. Where resolveBridgeId handed the
 * steps over already, they are skipped (sendSegmentStep).
 */
async function sendToSegment(context: Context, job: Job): Promise<void> {
  if ((await whenLoaded(context.analytics)) && !context.destroyed) sendSegmentSteps(context, job, true)
}

/**
 * The Segment steps left, handed to the loaded analytics.js now. Their messageIds derive from
 * the job id, so a re-run dedupes. `keyed` adds the bridge id as `anonymousId`, for a job whose
 * bridge id was not read from analytics.js in this task (a later page's, a minted one):
 * analytics-next makes that option its own anonymousId, a write back to its cookie and
 * localStorage and a read of them, per event (bench row 3).
 */
function sendSegmentSteps(context: Context, job: Job, keyed: boolean): void {
  const email = job.email
  const traits = { ...job.traits, email }
  const options = (suffix: string) => ({ messageId: `mst-${job.id}-${suffix}`, timestamp: new Date(job.capturedAt), anonymousId: keyed ? job.bridgeId : undefined })
  sendSegmentStep(context, job, 'identify', job.userId ? [job.userId, traits, options('i')] : [traits, options('i')])
  const properties = { source: job.source, form_id: job.formId ?? null }
  sendSegmentStep(context, job, 'track', [EMAIL_CAPTURED, properties, { ...options('t'), context: { traits: { email } } }])
}

/** The Klaviyo `external_id` per the `externalId` option; never empty. */
function externalIdOf(context: Context, job: Job): string | null | undefined {
  const mode = context.options.externalId
  if (mode === 'anonymousId') return job.bridgeId
  if (mode === false) return undefined
  return job.userId
}

/**
 * One Klaviyo request (keepalive, retried on this page); recorded as sent once Klaviyo answered
 * with a final status. A page that unloads before the answer leaves it to the next page: a
 * request started while a page unloads can be lost (Chromium drops a keepalive request still
 * waiting for its CORS preflight), and a profile upsert sent twice is harmless.
 */
async function sendOneToKlaviyo(context: Context, job: Job, request: KlaviyoRequest): Promise<void> {
  const result = await sendKlaviyo(request, () => stillAllowed(context))
  context.log('klaviyo', request.step, result)
  if (result !== 'gave_up' && stillAllowed(context)) markSent(context, job, request.step)
}

/** Klaviyo: the profile upsert and, for an opt-in with a list, the subscription. */
export async function sendToKlaviyo(context: Context, job: Job): Promise<void> {
  const klaviyo = context.options.klaviyo
  if (!klaviyo?.companyId) return
  const requests = klaviyoRequests(klaviyo, job, externalIdOf(context, job)).filter((request) => !job.sent.includes(request.step))
  await Promise.all(requests.map((request) => sendOneToKlaviyo(context, job, request)))
}

/** Run a job's steps left; resolves the capture's result once the bridge id is known. */
export async function runJob(context: Context, job: Job): Promise<CaptureResult> {
  startSending(context, job)
  // The run counted is written now, or with the bridge id in the same task (resolveBridgeId): one write.
  if (job.bridgeId) update(job)
  if (!(await resolveBridgeId(context, job))) {
    drop(context, job)
    return failure(context, 'no_analytics')
  }
  void sendToSegment(context, job)
  void sendToKlaviyo(context, job)
  return { ok: true, email: job.email, anonymousId: job.bridgeId! }
}

/** Start-up (and consent given): run every stored job this instance is not running already. */
export async function flushOutbox(context: Context): Promise<void> {
  if (!(await context.consent()) || context.destroyed) return
  await Promise.all(waitingJobs(context).map((job) => runJob(context, job)))
}
