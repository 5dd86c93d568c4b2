// The core's side of the job runner: hand it a capture's job once the capture's sends may
// start, and the jobs a previous page left. The runner is loaded only then (see
// runner-loader.ts); when it cannot be, the jobs stay stored for the next page.
import type { CaptureResult } from './types'
import { failure, type Context } from './context'
import { loadRunner, runnerIfLoaded } from './runner-loader'
import type { Schedule } from './capture'
import { hasStoredJobs, type Job } from './outbox'

/**
 * Run `job` when `schedule` says so; resolves the capture's result. From a page that is
 * navigating away, the runner (if it is here already: see `prefetchRunner`) sends what may leave
 * with the page.
 */
export function runJobLater(context: Context, job: Job, schedule: Schedule): Promise<CaptureResult> {
  return new Promise((resolve) =>
    schedule(
      () => {
        loadRunner()
          .then((runner) => runner.runJob(context, job))
          .then(resolve, () => resolve(failure(context, 'no_analytics')))
      },
      () => {
        try {
          void runnerIfLoaded()?.sendLeaving(context, job).catch(() => {})
        } catch { /* the rest still goes to the next page */ }
      },
    ),
  )
}

/**
 * Ask for the runner before it is needed: the shopper is in an email field, a capture is likely,
 * and a runner already here can send from a page that is about to navigate away.
 */
export function prefetchRunner(): void {
  loadRunner().catch(() => {})
}

/** Start-up and consent given: run the stored jobs, if a previous page left any. */
export function flushStoredJobs(context: Context): Promise<void> {
  if (!hasStoredJobs()) return Promise.resolve()
  return loadRunner().then((runner) => runner.flushOutbox(context), () => {})
}
