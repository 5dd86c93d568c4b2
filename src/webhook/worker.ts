/**
 * `mailstitch/relay/worker`: the relay as a Cloudflare Worker (module syntax). The default export's
 * `fetch` serves the webhooks; its `scheduled` runs one `relay poll` pass per Cron Trigger, with
 * the state in the `MailstitchPollState` Durable Object (exported here, bound as `MAILSTITCH_STATE`).
 * Settings and secrets come from the Worker's `env` (`wrangler secret put SEGMENT_WRITE_KEY` …),
 * under the same names as the CLI. See deploy/cloudflare/wrangler.toml and docs/relay.md.
 */
import { logLine } from '../shared/log-line'
import { createWebhookApp, webhookConfigFromEnv, WebhookConfigError } from './config'
import type { FetchHandler } from './dispatch'
import { jsonResponse } from './http'
import { runPollPass, type PassOutcome } from './scheduled-poll'

export { MailstitchPollState } from './poll-state'
export type { PassOutcome } from './scheduled-poll'

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

/** What Cloudflare passes a scheduled handler (the part of `ScheduledController` read here). */
export interface ScheduledControllerLike {
  readonly cron: string
  readonly scheduledTime: number
}

/**
 * One poll pass per Cron Trigger. A failure is logged and rethrown, so the trigger shows as failed
 * in Cloudflare's dashboard; the state keeps everything not yet accepted for the next trigger.
 */
export async function scheduledWithEnv(controller: ScheduledControllerLike, env: WorkerEnv, _ctx?: unknown): Promise<PassOutcome> {
  try {
    return await runPollPass(env)
  } catch (err) {
    console.error(`mailstitch poll (${controller.cron}): ${err instanceof Error ? err.message : String(err)}`)
    throw err
  }
}

/** Module Worker: `export default { fetch, scheduled }`. */
const worker = { fetch: fetchWithEnv, scheduled: scheduledWithEnv }
export default worker
