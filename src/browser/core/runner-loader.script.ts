// The script tag's way to the runner (see `Runner` in context.ts): a second file,
// dist/mailstitch-runner.min.js beside dist/mailstitch.min.js, loaded once on the first page
// that has a landing to decide or a job to run (the way PostHog and analytics-next lazy-load
// what few pages need).
import type { Runner } from './context'
import { version } from '../../shared/version'

export type { Runner } from './context'

/** Name of the runner's file, next to the script tag's own. */
export const RUNNER_FILE = 'mailstitch-runner.min.js'

/**
 * The runner's address: the script tag's own with its file name replaced (the query is kept:
 * Shopify's `asset_url` puts its cache key there), only when the tag was loaded by its own file
 * name, `…/mailstitch.min.js`. A short CDN address (`unpkg.com/mailstitch`) would otherwise turn
 * into another package's file; those, an inlined tag and a bundled copy need `data-runner-src`.
 */
export function runnerUrl(ownSrc: string | undefined): string | undefined {
  const match = ownSrc && /^([^?#]*\/)mailstitch\.min\.js(\?[^#]*)?(#.*)?$/.exec(ownSrc)
  if (!match) return undefined
  return match[1] + RUNNER_FILE + (match[2] || '')
}

/** Where to load the runner from: `data-runner-src` on the tag, else beside the tag's own file. */
export function runnerAddress(tag: HTMLScriptElement | null | undefined): string | undefined {
  return tag?.dataset?.runnerSrc || runnerUrl(tag?.src)
}

/** Taken while this script runs (`document.currentScript` is null afterwards); read when needed. */
const ownTag = document.currentScript as HTMLScriptElement | null

let loading: Promise<Runner> | undefined
let warned = false

/** Say once, on the console (with or without data-debug), why nothing can be sent (the captures wait in storage meanwhile); the error to reject with. */
function warnOnce(problem: string): Error {
  if (!warned) console.warn('[mailstitch] ' + problem)
  warned = true
  return new Error('mailstitch: ' + problem)
}

/**
 * Add the runner's script once; resolves what it registers as `window.mailstitch.runner`, when
 * it is the same release as this core (a cached runner of another release works on a context it
 * does not know: it is refused, and the jobs wait for a matching one).
 */
export function loadRunner(): Promise<Runner> {
  const url = runnerAddress(ownTag)
  if (!url) return Promise.reject(warnOnce(`where is ${RUNNER_FILE}? set data-runner-src`))
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script')
      script.src = url
      script.onload = () => {
        const runner = (window as { mailstitch?: { runner?: Runner } }).mailstitch?.runner
        if (runner && runner.version === version) resolve(runner)
        else reject(new Error('mailstitch: no runner of this release'))
      }
      // Visible without data-debug: every capture waits in storage until this is fixed.
      script.onerror = () => reject(warnOnce(`${url} failed to load; set data-runner-src`))
      document.head.appendChild(script)
    })
    // A failed load may succeed on a later try (offline for a moment).
    loading.catch(() => {
      loading = undefined
    })
  }
  return loading
}
