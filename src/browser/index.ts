// The npm entry. The runner (src/browser/runner/) is reached through a dynamic import; the npm
// build (rollup.config.mjs) inlines it into dist/index.mjs and dist/index.cjs all the same, so an
// app's bundler gets one file and the runner's code loads with the core. The script tag
// (script-api.ts) loads it as a second file instead.
import type { Mailstitch, MailstitchOptions } from './types'
import type { RunnerLoader } from './core/context'
import { inertInstance, isBrowser, startMailstitch } from './core/start'

export type * from './types'
export { normalizeEmail } from './core/email'
export { version } from '../shared/version'
export { inertInstance, isBrowser } from './core/start'

/** The runner, from this package (see the comment above). */
const loadBundledRunner: RunnerLoader = () => import('./runner/runner')

/**
 * Start mailstitch on this page: resolve an email-link landing, watch email forms, and finish
 * captures a previous page could not. Never throws: outside a browser, or when the page refuses
 * everything, it returns an instance whose captures resolve.
 */
export function createMailstitch(options?: MailstitchOptions): Mailstitch {
  if (!isBrowser()) return inertInstance()
  return startMailstitch(options, loadBundledRunner)
}
