/**
 * What one engine scenario runs against: the Segment collector (which also serves the real
 * analytics-next as a self-hosted CDN), the Klaviyo emulator, and a storefront site serving the
 * released bundle from dist/. Pages carry a page-error reporter, because WebKitWebDriver has no
 * console API: it posts `error`, `unhandledrejection` and `console.error` to the site.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { COMPANY_ID, LIST_ID, startEmulators, stopEmulators, type Emulators } from '../support/emulators'
import { segmentSnippet } from '../support/snippet'

export const WRITE_KEY = 'wk_engines'
export { COMPANY_ID, LIST_ID } from '../support/emulators'
const BUNDLE = resolve(import.meta.dirname, '../../dist/mailstitch.min.js')
const ERRORS_PATH = '/__page-errors'

/**
 * Reports page errors to the site. First in <head>, so it sees everything after it; sendBeacon
 * because a report made just before a form navigates must still arrive.
 */
const ERROR_REPORTER = `<script>(function(){
function send(kind,text){var body=kind+': '+text+' @ '+location.pathname;try{if(navigator.sendBeacon&&navigator.sendBeacon('${ERRORS_PATH}',body))return}catch(e){}try{var x=new XMLHttpRequest();x.open('POST','${ERRORS_PATH}');x.send(body)}catch(e){}}
window.addEventListener('error',function(e){send('error',e.message||String(e.error))});
window.addEventListener('unhandledrejection',function(e){send('unhandledrejection',String(e.reason))});
var original=console.error;console.error=function(){var parts=[];for(var i=0;i<arguments.length;i++)parts.push(String(arguments[i]));send('console.error',parts.join(' '));return original.apply(console,arguments)};
})()</script>`

/** The emulators and the storefront for one scenario. */
export interface EngineStack extends Emulators {
  /** Page errors reported so far (`kind: message @ path`). */
  pageErrors: string[]
  /** mailstitch's inline snippet (the built `mailstitch/snippet`) in a `<script>`, pointed at the site's dist/ and this Klaviyo emulator. */
  inlineSnippet(options?: { consent?: string }): string
  /** A storefront page: the error reporter, an optional tag, Segment's snippet, an optional tag. */
  storefront(o: { before?: string; after?: string; body?: string; title?: string }): string
  close(): Promise<void>
}

/** Start the stack; fails (never skips) when the released bundle has not been built. */
export async function startStack(): Promise<EngineStack> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first (npm test builds before it tests)`)
  const emulators = await startEmulators({ collector: { writeKeys: [WRITE_KEY] }, klaviyo: { companyIds: [COMPANY_ID] } })
  const pageErrors: string[] = []
  emulators.site.route('POST', ERRORS_PATH, (req) => {
    pageErrors.push(req.body.toString('utf8'))
    return { status: 204 }
  })
  // analytics.js comes from the collector as from a self-hosted CDN; every call stays on 127.0.0.1.
  const snippet = segmentSnippet(WRITE_KEY, { cdn: emulators.collector.url })
  const built = (await import(resolve(import.meta.dirname, '../../dist/snippet.mjs'))) as typeof import('../../src/snippet/index')
  return {
    ...emulators,
    pageErrors,
    inlineSnippet: (options = {}) =>
      `<script>${built.snippet({ src: '/dist/mailstitch.min.js', klaviyoCompanyId: COMPANY_ID, klaviyoListId: LIST_ID, klaviyoApiBase: emulators.klaviyo.url, ...options })}</script>`,
    storefront({ before = '', after = '', body = '', title = 'Store' }) {
      return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${ERROR_REPORTER}${before}${snippet}${after}</head><body>${body}</body></html>`
    },
    async close() {
      await stopEmulators(emulators)
    },
  }
}
