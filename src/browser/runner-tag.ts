// Entry of dist/mailstitch-runner.min.js (IIFE): the runner for the script tag. The core adds
// this file on the first page with a landing to decide or a job to run
// (runner-loader.script.ts) and takes the runner from `window.mailstitch.runner`.
import { decideLanding, flushOutbox, forgetVisitor, runJob, version, waitForShopifyConsent } from './runner/runner'
import type { Runner } from './core/context'

try {
  const w = window as unknown as { mailstitch?: { runner?: Runner } }
  const api = w.mailstitch || (w.mailstitch = {})
  api.runner = { version, decideLanding, runJob, flushOutbox, forgetVisitor, waitForShopifyConsent }
} catch {
  /* never break the page */
}
