// Step 2, capture: an email from a form, a Klaviyo form or `capture()`. Inside the submit event
// only the job is written to the outbox (synchronously, when consent is known), so the form's
// navigation starts at once; the job runner does the rest after it started, or on the next page.
import type { CaptureFailure, CaptureOptions, CaptureResult } from '../types'
import { failure, type Context } from './context'
import { normalizeEmail } from './email'
import { addJob, newJobId, type Job } from './outbox'
import { runJobLater } from './handoff'

/** What a form, a Klaviyo form or a `capture()` call asks to capture. */
export interface CaptureRequest {
  source: string
  formId?: string | null
  traits?: Record<string, unknown>
  /** A clear opt-in to email marketing. */
  subscribe: boolean
}

/** The same email within this window on one page is sent once. */
const DUPLICATE_WINDOW_MS = 5000

/** The normalized email, or why it cannot be captured (and, when it can, it is remembered as recent). */
export function checkEmail(context: Context, raw: unknown): string | CaptureFailure {
  const email = normalizeEmail(raw)
  if (!email) return 'invalid_email'
  // Destroyed, or no analytics at all (blocked, missing; a stub that has not loaded counts as there).
  if (context.destroyed || !context.analytics()) return 'no_analytics'
  const now = Date.now()
  const last = context.recentCaptures.get(email)
  if (last !== undefined && last > now - DUPLICATE_WINDOW_MS) return 'duplicate'
  context.recentCaptures.set(email, now)
  return email
}

/** Write the job for `email` to the outbox. */
export function persistJob(email: string, request: CaptureRequest): Job {
  const job: Job = { id: newJobId(), capturedAt: Date.now(), runs: 0, email, source: request.source, formId: request.formId, traits: request.traits, subscribe: request.subscribe, sent: [] }
  addJob(job)
  return job
}

/**
 * Check, ask consent and persist: synchronously when consent answers synchronously (the job is
 * then stored before a full-page post can unload the page), else once it answers.
 */
export function beginCapture(context: Context, raw: unknown, request: CaptureRequest): Job | CaptureFailure | Promise<Job | CaptureFailure> {
  const email = checkEmail(context, raw)
  if (!normalizeEmail(email)) return email as CaptureFailure
  const denied = (): CaptureFailure => {
    context.recentCaptures.delete(email)
    return 'no_consent'
  }
  const consent = context.consent()
  if (consent === true) return persistJob(email, request)
  if (consent === false) return denied()
  return consent.then((allowed) => (allowed && !context.destroyed ? persistJob(email, request) : denied()))
}

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

/** Run `work` once the navigation a submit may have started is under way (see SEND_DELAY_MS). */
export function afterThisTask(work: () => void): void {
  setTimeout(work, SEND_DELAY_MS)
}

/**
 * How long a page whose form submit was not prevented waits before it sends itself. Such a
 * submit navigates: requests started while the old page is unloading are lost in Chromium (a
 * keepalive request still waiting for its CORS preflight), so the page that loads next sends the
 * job, once. A page still here after this long did not navigate (a download, `target=_blank`).
 */
export const NAVIGATION_GRACE_MS = 1000

/** The schedule of a form submit: a prevented one (an AJAX form) sends here; one that navigates leaves it to the next page. */
export function afterSubmit(event: Event): Schedule {
  return (work) =>
    setTimeout(() => {
      if (event.defaultPrevented) work()
      else setTimeout(work, NAVIGATION_GRACE_MS)
    }, SEND_DELAY_MS)
}

/** When a capture's sends start: `afterThisTask` unless the caller knows better (see `afterSubmit`). */
export type Schedule = (work: () => void) => void

/**
 * A capture from `capture()`, a form or a Klaviyo form, resolved to its result; never throws,
 * never rejects. An async function runs synchronously up to its first await, and `beginCapture`
 * is synchronous when consent is: the job is stored inside the submit event.
 */
export async function capture(context: Context, raw: unknown, options: CaptureOptions = {}, schedule: Schedule = afterThisTask): Promise<CaptureResult> {
  try {
    const request: CaptureRequest = { source: options.source ?? 'manual', formId: options.formId, traits: options.traits, subscribe: options.subscribe === true }
    const job = await beginCapture(context, raw, request)
    if (typeof job !== 'object') return failure(context, job)
    context.runningJobs.add(job.id) // ours: the start-up flush leaves it alone
    return await runJobLater(context, job, schedule)
  } catch {
    return failure(context, 'no_analytics')
  }
}
