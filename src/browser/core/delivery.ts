// A capture job's life, in one place (issue 19), as analytics-next's queue owns its items:
//
//   admitted   the email was not captured on this page in the last 5 s (else: duplicate)
//   stored     written to the outbox inside the submit event; when storage refuses it (full,
//              disabled) the job is kept in memory only and sent at once (see `store`)
//   sending    this instance runs it (the start-up flush leaves it alone); each run is counted
//   sent       each step is recorded once handed off; the job leaves the outbox when all are
//   dropped    no analytics to learn the bridge id from: removed, and the email may be captured again
//
// The core (capture, start-up) and the runner (job-runner.ts) both move a job only through the
// functions below. So does time: the one timer policy of browser delivery is here too (when a
// capture's sends start, how long start-up and a first page view wait for analytics.js, how long
// a landing's events wait for its decision); retries
// of a request have their own single policy (runner/retry.ts).
import type { Context } from './context'
import { addJob, changeJob, newJobId, readJobs, removeJob, type Job, type StepName } from './outbox'

// --- the timer policy ----------------------------------------------------------------------

/** The same email within this window on one page is sent once. */
const DUPLICATE_WINDOW_MS = 5000

/**
 * How long after a submit the capture's sends start. Chromium starts a form's navigation in a
 * task it queues after the submit event, and a 0 ms timer can run ahead of it: measured, that
 * delayed the navigation by the whole capture (+28 ms click → navigation start, bench row 3).
 * 25 ms lets the navigation start first; a page that unloads sooner leaves the job to the next
 * page (nothing lost, nothing sent twice), and a page that stays (AJAX forms) sends it here.
 * (A background-priority `scheduler.postTask` ran only once the page was unloading, and its
 * keepalive requests were lost.)
 */
export const SEND_DELAY_MS = 25

/**
 * How long a page whose form submit was not prevented waits before it sends itself. Such a
 * submit navigates: requests started while the old page is unloading are lost in Chromium (a
 * keepalive request still waiting for its CORS preflight), so the page that loads next sends the
 * job, once. A page still here after this long did not navigate (a download, `target=_blank`).
 */
export const NAVIGATION_GRACE_MS = 1000

/** How long start-up waits for analytics.js before it looks for stored jobs all the same. */
export const STORED_JOBS_FALLBACK_MS = 3000

/** How long a first page view waits for analytics.js to create the anonymousId. */
export const ANONYMOUS_ID_WAIT_MS = 3000

/**
 * How long a landing's events wait for its decision at most, counted from the core's start: consent
 * (Shopify's Customer Privacy API is usually still loading when a page starts; consent.ts gives it
 * 5 s), the runner (a second file on the script tag's path) and the decision itself. A runner that
 * fails to load decides at once (identity is left alone); this limit is for one that never
 * answers. It was 3 s, then 5 s after the consent answer: too short on a starved phone where
 * consent was known at once and the runner came late (e2e/landing-phone.spec.ts, the Shopify app
 * embed with its API loaded: 4 of 20 split; the plain tag before the snippet: 2 of 20 split with
 * 3 s in one CI run).
 */
const LANDING_DECISION_WAIT_MS = 10_000

/**
 * A landing's adoption as its held events see it: `decision`, or nothing (they go on unchanged)
 * when it comes too late (LANDING_DECISION_WAIT_MS; the inline snippet's own hold lasts as long),
 * or as the page is left, whichever comes first.
 */
export function holdForDecision<T>(decision: Promise<T>): Promise<T | void> {
  let release!: (adoption?: T) => void
  const held = new Promise<T | void>((resolve) => {
    release = resolve
  })
  // As the shopper starts to leave (a link, a form's post), held events go on unchanged while
  // the page can still send them: analytics-next persists a request the navigation cuts off and
  // resends it on the next page. Released at `pagehide` instead, they never reached a request in
  // Chromium, and the landing's page event was lost (e2e/landing.spec.ts). analytics-next hands an
  // event to its destinations after a 0 ms timer: a page replaced before that timer runs (a next
  // page answered at once, a starved CPU) still loses it. Safari on iOS fires no `beforeunload`.
  // The listener goes with the hold: Firefox keeps no page with one in its bfcache.
  const leave = () => release()
  addEventListener('beforeunload', leave)
  void held.then(() => removeEventListener('beforeunload', leave))
  setTimeout(release, LANDING_DECISION_WAIT_MS)
  void decision.then(release)
  return held
}

/**
 * How long a landing whose tag was placed too late waits, before it reports, for analytics.js's
 * first request to end (Resource Timing lists it only then: see `segmentRequestsSentBefore`).
 */
export const EARLY_REQUEST_WAIT_MS = 1000

/** When a capture's sends start. */
export type Schedule = (work: () => void) => void

/** Run `work` once the navigation a submit may have started is under way (see SEND_DELAY_MS). */
export const afterThisTask: Schedule = (work) => {
  setTimeout(work, SEND_DELAY_MS)
}

/** Run `work` now: a job storage refused has no next page to wait for. */
const atOnce: Schedule = (work) => work()

/** The schedule of a form submit: a prevented one (an AJAX form) sends here; one that navigates leaves it to the next page. */
export function afterSubmit(event: Event): Schedule {
  return (work) =>
    setTimeout(() => {
      if (event.defaultPrevented) work()
      else setTimeout(work, NAVIGATION_GRACE_MS)
    }, SEND_DELAY_MS)
}

/** The schedule a job runs on: at once when it is not stored, else the caller's. */
export function scheduleOf(job: Job, requested: Schedule): Schedule {
  return job.unstored ? atOnce : requested
}

// --- admitted ------------------------------------------------------------------------------

/** Admit `email` on this page: false when it was captured within DUPLICATE_WINDOW_MS (a duplicate). */
export function admit(context: Context, email: string): boolean {
  const now = Date.now()
  const last = context.recentCaptures.get(email)
  if (last !== undefined && last > now - DUPLICATE_WINDOW_MS) return false
  context.recentCaptures.set(email, now)
  return true
}

/** The capture of `email` did not happen (no consent, no analytics): it may be captured again at once. */
export function release(context: Context, email: string): void {
  context.recentCaptures.delete(email)
}

// --- stored --------------------------------------------------------------------------------

/** What a form, a Klaviyo form or a `capture()` call asks to capture. */
export interface CaptureRequest {
  source: string
  formId?: string | null
  traits?: Record<string, unknown>
  /** A clear opt-in to email marketing. */
  subscribe: boolean
}

/**
 * A new job for `email`, stored in the outbox and run by this instance. Where storage refuses it
 * (full: another app's cache; disabled) it is marked `unstored` and runs at once (`scheduleOf`),
 * so its Klaviyo requests (keepalive) and Segment calls start before a full-page post unloads
 * the page, at the price of the navigation starting after them.
 */
export function store(context: Context, email: string, request: CaptureRequest): Job {
  const job: Job = { id: newJobId(), capturedAt: Date.now(), runs: 0, email, source: request.source, formId: request.formId, traits: request.traits, subscribe: request.subscribe, sent: [] }
  if (!addJob(job)) job.unstored = true
  context.runningJobs.add(job.id) // ours: the start-up flush leaves it alone
  return job
}

/**
 * Write the job's changes back (not for a job storage refused: it lives in memory only). A job no
 * longer stored (cleared on consent withdrawn, finished by another tab's start-up) stays so.
 */
export function update(job: Job): void {
  if (!job.unstored) changeJob(job.id, () => job)
}

// --- sending -------------------------------------------------------------------------------

/**
 * This instance runs `job` now; the run is counted first (a Segment that never loads is retried
 * on a few page loads, not forever). Counted in memory: the caller writes it with `update` in the
 * same task, together with the bridge id when that is known at once (job-runner.ts `runJob`),
 * so a capture costs one outbox write here, not two (bench row 3).
 */
export function startSending(context: Context, job: Job): void {
  context.runningJobs.add(job.id)
  job.runs++
}

/** The stored jobs a previous page left (re-validated as they are read: see outbox.ts), less those this instance runs. */
export function waitingJobs(context: Context): Job[] {
  return readJobs().filter((job) => !context.runningJobs.has(job.id))
}

// --- sent ----------------------------------------------------------------------------------

/** Every step this job has, in order. */
export function stepsOf(context: Context, job: Job): StepName[] {
  const klaviyo = context.options.klaviyo
  const steps: StepName[] = ['identify', 'track']
  if (klaviyo?.companyId) steps.push('profile')
  if (klaviyo?.companyId && klaviyo.listId && job.subscribe) steps.push('subscription')
  return steps
}

/**
 * Record a step as sent in the stored job (read back first: a job cleared meanwhile, as on
 * consent withdrawn, stays cleared); the job goes once every step is sent. One outbox read and
 * one write per step.
 */
export function markSent(context: Context, job: Job, step: StepName): void {
  if (!job.sent.includes(step)) job.sent.push(step)
  if (job.unstored) return
  changeJob(job.id, (stored) => {
    if (!stored.sent.includes(step)) stored.sent.push(step)
    const allSent = stepsOf(context, stored).every((name) => stored.sent.includes(name))
    return allSent ? undefined : stored
  })
}

// --- dropped -------------------------------------------------------------------------------

/** No bridge id can be learned (no analytics): the job goes, and the email may be captured again. */
export function drop(context: Context, job: Job): void {
  if (!job.unstored) removeJob(job.id)
  release(context, job.email)
}
