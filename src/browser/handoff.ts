// The core's side of the job runner: hand it a capture's job once the capture's sends may
// start, and the jobs a previous page left. The runner is loaded only then (see
// runner-loader.ts); when it cannot be, the jobs stay stored for the next page.
import type { CaptureResult } from './types'
import { failure, type Context } from './context'
import { loadRunner } from './runner-loader'
import { hasStoredJobs, type Job } from './outbox'

/** Run `job` when `schedule` says so; resolves the capture's result. */
export function runJobLater(context: Context, job: Job, schedule: (work: () => void) => void): Promise<CaptureResult> {
  return new Promise((resolve) =>
    schedule(() => {
      loadRunner()
        .then((runner) => runner.runJob(context, job))
        .then(resolve, () => resolve(failure(context, 'no_analytics')))
    }),
  )
}

/** Start-up and consent given: run the stored jobs, if a previous page left any. */
export function flushStoredJobs(context: Context): Promise<void> {
  if (!hasStoredJobs()) return Promise.resolve()
  return loadRunner().then((runner) => runner.flushOutbox(context), () => {})
}
