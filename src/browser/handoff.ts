// The core's side of the job runner: hand it a capture's job once the capture's sends may
// start, and the jobs a previous page left. The runner is loaded only then (see
// runner-loader.ts); when it cannot be, the jobs stay stored for the next page.
import type { CaptureResult } from './types'
import { failure, type Context } from './context'
import { loadRunner } from './runner-loader'
import type { Schedule } from './capture'
import { hasStoredJobs, type Job } from './outbox'

/** Run `job` when `schedule` says so; resolves the capture's result. */
export function runJobLater(context: Context, job: Job, schedule: Schedule): Promise<CaptureResult> {
  return new Promise((resolve) =>
    schedule(() => {
      loadRunner()
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
export function prefetchRunner(): void {
  loadRunner().catch(() => {})
}

/** Start-up and consent given: run the stored jobs, if a previous page left any. */
export function flushStoredJobs(context: Context): Promise<void> {
  if (!hasStoredJobs()) return Promise.resolve()
  return loadRunner().then((runner) => runner.flushOutbox(context), () => {})
}
