// What the script tag (script-tag.ts) exposes as `window.mailstitch`: the same start-up as the
// npm entry, reaching the runner as a second file, dist/mailstitch-runner.min.js
// (core/runner-loader.script.ts), so most page views carry only the core (bench row 1).
import type { Mailstitch, MailstitchOptions } from './types'
import { startMailstitch } from './core/start'
import { loadRunner } from './core/runner-loader.script'

export { version } from '../shared/version'

/** Start mailstitch on this page (see `createMailstitch` in index.ts), its runner loaded as a second file. */
export function createMailstitch(options?: MailstitchOptions): Mailstitch {
  return startMailstitch(options, loadRunner)
}
