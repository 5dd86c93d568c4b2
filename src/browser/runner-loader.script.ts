// The script tag's way to the runner (see runner-loader.ts): a second file,
// dist/mailstitch-runner.min.js beside dist/mailstitch.min.js, loaded once on the first page
// that has a landing to decide or a job to run (the way PostHog and analytics-next lazy-load
// what few pages need).
import type { Runner } from './runner-loader'

export type { Runner } from './runner-loader'

/** Name of the runner's file, next to the script tag's own. */
export const RUNNER_FILE = 'mailstitch-runner.min.js'

/**
 * The runner's address: the script tag's own, with its file name replaced (the query is kept:
 * Shopify's `asset_url` puts its cache key there). `undefined` without an address.
 */
export function runnerUrl(ownSrc: string | undefined): string | undefined {
  const match = ownSrc && /^([^?#]*\/)[^/?#]*(\?[^#]*)?/.exec(ownSrc)
  if (!match) return undefined
  return match[1] + RUNNER_FILE + (match[2] || '')
}

/** This script's own address, read while it runs (`document.currentScript` is null afterwards). */
const url = runnerUrl((document.currentScript as HTMLScriptElement | null)?.src)

let loading: Promise<Runner> | undefined

/** Add the runner's script once; resolves what it registers as `window.mailstitch.runner`. */
export function loadRunner(): Promise<Runner> {
  if (!url) return Promise.reject(new Error('mailstitch: no address for the runner'))
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script')
      script.src = url
      script.onload = () => {
        const runner = (window as { mailstitch?: { runner?: Runner } }).mailstitch?.runner
        if (runner) resolve(runner)
        else reject(new Error('mailstitch: no runner'))
      }
      script.onerror = reject
      document.head.appendChild(script)
    })
    // A failed load may succeed on a later try (offline for a moment).
    loading.catch(() => {
      loading = undefined
    })
  }
  return loading
}
