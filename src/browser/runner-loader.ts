// How the core reaches the runner: the work only some pages have, a landing from an email link
// to decide and capture jobs to send (Segment and Klaviyo sends, retries, the outbox upgrade).
// The npm build bundles it into the same file through this dynamic import; the script tag swaps
// this module for `runner-loader.script.ts`, which loads it as a second file, so most page views
// carry only the core (bench row 1).
import type { Context } from './context'
import type { Adoption } from './landing'
import type { SnippetLanding } from '../snippet/inline'
import type { Job } from './outbox'
import type { CaptureResult } from './types'

/** What the core calls in the runner. */
export interface Runner {
  /** The runner's release; the script tag's core refuses another one. */
  version: string
  /** Decide a landing with `token` (or report the inline snippet's adoption): adopt it or not, and report `Email Link Landed`. */
  decideLanding(context: Context, token: string, snippet?: SnippetLanding): Promise<Adoption>
  /** Run a job's steps left; resolves the capture's result. */
  runJob(context: Context, job: Job): Promise<CaptureResult>
  /** Run every stored job this instance is not running already. */
  flushOutbox(context: Context): Promise<void>
}

/** The runner, once loaded; rejects when it cannot be (jobs then stay stored for the next page). */
export function loadRunner(): Promise<Runner> {
  return import('./runner')
}
