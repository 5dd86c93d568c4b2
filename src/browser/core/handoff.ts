// The core's side of the job runner: hand it a capture's job once the capture's sends may
// start, and the jobs a previous page left. The runner is loaded only then (`context.loadRunner`,
// see `Runner` in context.ts); when it cannot be, the jobs stay stored for the next page.
import type { CaptureResult } from '../types'
import { failure, listen, type Context } from './context'
import { STORED_JOBS_FALLBACK_MS, type Schedule } from './delivery'
import { hasStoredJobs, type Job } from './outbox'
import { onAnalyticsLoad } from './analytics'

/** Run `job` when `schedule` says so; resolves the capture's result. */
export function runJobLater(context: Context, job: Job, schedule: Schedule): Promise<CaptureResult> {
  return new Promise((resolve) =>
    schedule(() => {
      context
        .loadRunner()
        .then((runner) => runner.runJob(context, job))
        .then(resolve, () => resolve(failure(context, 'no_analytics')))
    }),
  )
}

/**
 * Ask for the runner before it is needed: the shopper is in an email field and a capture is
 * likely. An AJAX form's capture then runs without a fetch first, and (where the file may be
 * cached, as on Shopify's CDN) the page after a form post finds it in the cache.
 *
 * Measured and rejected (bench row 4): sending a navigating form's Segment steps from the
 * leaving page once the runner is here. Delivery was no better, and analytics.js's answers that
 * the unload cut off made the next page send 1.25 copies per event instead of 1.00.
 */
export function prefetchRunner(context: Context): void {
  context.loadRunner().catch(() => {})
}

/** Start-up and consent given: run the stored jobs, if a previous page left any. */
export function flushStoredJobs(context: Context): Promise<void> {
  if (!hasStoredJobs()) return Promise.resolve()
  return context.loadRunner().then((runner) => runner.flushOutbox(context), () => {})
}

/**
 * Whether this page was reached through a redirect, as after a form's POST answered with one
 * (Shopify's customer forms are): the page that has a capture to send, most likely. It asks for
 * the runner at once, while analytics.js loads, instead of after it: measured in bench row 4, a
 * runner asked for only once analytics.js had loaded cost 1 to 2 of 200 Segment identifies
 * within the shopper's 0.5 s on the page. Read from `performance.navigation` (Navigation Timing
 * Level 1, in every browser; the same same-origin redirect count): the Level 2 navigation entry
 * (`getEntriesByType('navigation')`) is built on its first read, which was the largest single
 * cost of start-up in bench row 2 (Chromium: ~0.2 ms a page, up to 10 ms on a loaded machine);
 * this reads a number. No storage either. Where it is missing, no prefetch: the runner still
 * loads once analytics.js has.
 */
function cameThroughRedirect(): boolean {
  try {
    return performance.navigation.redirectCount > 0
  } catch {
    return false
  }
}

export { STORED_JOBS_FALLBACK_MS } from './delivery'

/**
 * Start-up: look for the jobs a previous page left once analytics.js has loaded, not at once.
 * The page's first localStorage access is a synchronous round-trip to the browser process
 * (1–4 ms measured in bench row 2: `ContentSettingsManager::AllowStorageAccess` and
 * `StorageArea::GetAll`), and analytics.js makes it anyway when it loads: after that, the look
 * reads a warm copy. The jobs cannot be sent sooner than analytics.js loads in any case. Where it
 * has not loaded 3 s after start-up (blocked, delayed by a consent manager, or no Segment), the
 * look happens then, so Klaviyo steps with a known bridge id still go. A tag placed before the
 * snippet finds `window.analytics` only once the page is parsed: it registers (and counts the
 * 3 s) from then.
 */
export function flushStoredJobsWhenAnalyticsLoads(context: Context): Promise<void> {
  return new Promise<void>((resolve) => {
    let fallback: ReturnType<typeof setTimeout> | undefined
    const go = () => {
      clearTimeout(fallback)
      resolve()
    }
    context.cleanups.push(go) // destroy(): no timer left, and ready() still resolves
    const register = () => {
      fallback = setTimeout(go, STORED_JOBS_FALLBACK_MS)
      if (context.analytics()) context.cleanups.push(onAnalyticsLoad(context.analytics, go))
    }
    if (context.analytics() || document.readyState !== 'loading') register()
    else listen(context, document, 'DOMContentLoaded', register)
    if (cameThroughRedirect()) prefetchRunner(context)
  }).then(() => (context.destroyed ? undefined : flushStoredJobs(context)))
}
