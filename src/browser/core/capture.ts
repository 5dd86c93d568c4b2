// Step 2, capture: an email from a form, a Klaviyo form or `capture()`. Inside the submit event
// only the job is written to the outbox (synchronously, when consent is known), so the form's
// navigation starts at once; the job runner does the rest after it started, or on the next page.
// A job's life and the timers it runs on are delivery.ts's.
import type { CaptureFailure, CaptureOptions, CaptureResult } from '../types'
import { failure, type Context } from './context'
import { normalizeEmail } from './email'
import type { Job } from './outbox'
import { runJobLater } from './handoff'
import { admit, afterThisTask, release, scheduleOf, store, type CaptureRequest, type Schedule } from './delivery'

export type { CaptureRequest, Schedule } from './delivery'
export { NAVIGATION_GRACE_MS, SEND_DELAY_MS, afterSubmit } from './delivery'

/** The result of `checkEmail`: the normalized email, admitted, or why it cannot be captured. */
export type EmailCheck = { email: string } | CaptureFailure

/** The normalized email, or why it cannot be captured (and, when it can, it is admitted: see delivery.ts). */
export function checkEmail(context: Context, raw: unknown): EmailCheck {
  const email = normalizeEmail(raw)
  if (!email) return 'invalid_email'
  // Destroyed, or no analytics at all (blocked, missing; a stub that has not loaded counts as there).
  if (context.destroyed || !context.analytics()) return 'no_analytics'
  return admit(context, email) ? { email } : 'duplicate'
}

/** The result of `beginCapture`: the job, or why there is none. */
export type CaptureStart = Job | CaptureFailure

/**
 * Check, ask consent and store: synchronously when consent answers synchronously (the job is
 * then stored before a full-page post can unload the page), else once it answers.
 */
export function beginCapture(context: Context, raw: unknown, request: CaptureRequest): CaptureStart | Promise<CaptureStart> {
  const checked = checkEmail(context, raw)
  if (typeof checked !== 'object') return checked
  const email = checked.email
  const denied = (): CaptureFailure => {
    release(context, email)
    return 'no_consent'
  }
  const consent = context.consent()
  if (consent === true) return store(context, email, request)
  if (consent === false) return denied()
  return consent.then((allowed) => (allowed && !context.destroyed ? store(context, email, request) : denied()))
}

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
    return await runJobLater(context, job, scheduleOf(job, schedule))
  } catch {
    return failure(context, 'no_analytics')
  }
}
