// Start-up of an instance: one context run through four named steps: landing (an email link's
// token), capture (persist inside the submit event), the job runner (send after the navigation
// started, or on the next page), and the wiring of page events. The entry that calls it gives
// the way to the runner (index.ts for npm, script-api.ts for the script tag).
import type { CaptureOptions, Mailstitch, MailstitchOptions } from '../types'
import { createContext, type Context, type RunnerLoader } from './context'
import { startLanding } from './landing'
import { capture } from './capture'
import { flushStoredJobsWhenAnalyticsLoads } from './handoff'
import { watchForms, watchKlaviyoForms, watchShopifyConsent } from './forms'
import { readState } from './state'

/** True where there is a page: not during server-side rendering (the way js-cookie guards). */
export function isBrowser(): boolean {
  return typeof window !== 'undefined' && typeof document !== 'undefined' && typeof location !== 'undefined'
}

/** The instance outside a browser: captures resolve `no_analytics`, nothing touches a global. */
export function inertInstance(): Mailstitch {
  return {
    capture: () => Promise.resolve({ ok: false, reason: 'no_analytics' }),
    linkParams: () => ({}),
    ready: () => Promise.resolve(),
    destroy: () => {},
  }
}

/** Start-up work that can wait: the landing decision, and the jobs a previous page left. */
function startOutbox(context: Context): Promise<void> {
  return Promise.all([context.adoption, flushStoredJobsWhenAnalyticsLoads(context)]).then(() => {}, () => {})
}

/** The public API over a started context. */
function instanceOf(context: Context, started: Promise<void>): Mailstitch {
  return {
    capture: (email: string, options?: CaptureOptions) => capture(context, email, options),
    linkParams: () => {
      // Consent withdrawn: none, also while the runner removes the state cookie.
      if (context.forgotten) return {}
      const bridgeId = readState().bridgeId
      return bridgeId ? { [context.linkParam]: bridgeId } : {}
    },
    ready: () => started,
    destroy: () => {
      context.destroyed = true
      for (const cleanup of context.cleanups.splice(0)) {
        try {
          cleanup()
        } catch { /* a hostile page */ }
      }
    },
  }
}

/**
 * Start mailstitch on this page, reaching the runner through `loadRunner`. Never throws: when the
 * page refuses everything, it returns an instance whose captures resolve. A page only: the npm
 * entry checks for one first (the script tag always runs in one, so its file carries no SSR guard).
 */
export function startMailstitch(options: MailstitchOptions | undefined, loadRunner: RunnerLoader): Mailstitch {
  const context = createContext(options, loadRunner)
  try {
    startLanding(context)
    watchForms(context)
    watchKlaviyoForms(context)
    watchShopifyConsent(context)
  } catch { /* a hostile page: what started stays, captures still resolve */ }
  return instanceOf(context, startOutbox(context))
}
