/**
 * `mailstitch/relay/worker`: the webhook relay as a Cloudflare Worker (module syntax: the default
 * export is `{ fetch }`). Settings and secrets come from the Worker's `env` (`wrangler secret put
 * SEGMENT_WRITE_KEY` …), under the same names as the CLI. See deploy/wrangler.toml and docs/relay.md.
 */
import { logLine } from '../shared/log-line'
import { createWebhookApp, webhookConfigFromEnv, WebhookConfigError } from './config'
import type { FetchHandler } from './dispatch'
import { jsonResponse } from './http'

/** The Worker's bindings: plain-text vars and secrets, by name. */
export type WorkerEnv = Readonly<Record<string, unknown>>

// One app per env object: Workers hand the same env to every request of an isolate, so the
// profile cache and the rate budget live as long as the isolate.
const apps = new WeakMap<object, FetchHandler>()

/** Handle one request with the app configured by `env`. */
export async function fetchWithEnv(request: Request, env: WorkerEnv): Promise<Response> {
  let app = apps.get(env)
  if (!app) {
    try {
      app = createWebhookApp(webhookConfigFromEnv(env), { log: (line) => console.log(line) })
    } catch (err) {
      if (!(err instanceof WebhookConfigError)) throw err
      console.error(logLine(`mailstitch relay worker: ${err.message}`))
      // 500, not 503: a retry cannot help until the Worker's settings are fixed; the message says which.
      return jsonResponse(500, { ok: false, error: 'misconfigured', variable: err.variable })
    }
    apps.set(env, app)
  }
  return app(request)
}

/** Module Worker: `export default { fetch }`. */
const worker = { fetch: fetchWithEnv }
export default worker
