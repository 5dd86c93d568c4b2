/**
 * `mailstitch/relay/lambda`: the webhook relay as an AWS Lambda handler for function URLs and API
 * Gateway HTTP APIs, payload format 2.0. The event and response shapes follow AWS's pages "Lambda
 * function URLs → Invoking Lambda function URLs" (request and response payloads) and "Working with
 * AWS Lambda proxy integrations for HTTP APIs" (payload format version 2.0): lower-cased `headers`
 * whose repeated values are comma-joined, `cookies` apart, `rawPath` + `rawQueryString`,
 * `requestContext.http.method`, and a `body` that is base64 when `isBase64Encoded`.
 * The signature is computed over the exact bytes, so a base64 body is decoded to bytes, never to text.
 */
import { createWebhookApp, webhookConfigFromEnv, WebhookConfigError, type WebhookAppOptions } from './config'
import type { FetchHandler } from './dispatch'
import { boundedLog, logLine } from '../shared/log-line'

/** A function-URL / HTTP API (payload format 2.0) request event; fields the relay does not read are omitted. */
export interface LambdaHttpEvent {
  version?: string
  rawPath?: string
  rawQueryString?: string
  headers?: Record<string, string | undefined>
  cookies?: string[]
  body?: string
  isBase64Encoded?: boolean
  requestContext?: { domainName?: string; http?: { method?: string; path?: string } }
}

/** A payload format 2.0 response. */
export interface LambdaHttpResult {
  statusCode: number
  headers: Record<string, string>
  body: string
  isBase64Encoded: boolean
}

/** Turn a format 2.0 event into a fetch Request (body bytes exactly as sent). */
export function requestFromLambdaEvent(event: LambdaHttpEvent): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, value)
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '))
  const host = event.requestContext?.domainName ?? headers.get('host') ?? 'lambda.invalid'
  const path = event.rawPath ?? event.requestContext?.http?.path ?? '/'
  const query = event.rawQueryString ? `?${event.rawQueryString}` : ''
  // The host only decorates the URL (routing is by method, path and headers); AWS's own examples
  // use placeholders such as `<url-id>.lambda-url…`, which are not valid host names.
  let url: URL
  try {
    url = new URL(`https://${host}${path}${query}`)
  } catch {
    url = new URL(`${path}${query}`, 'https://lambda.invalid')
  }
  const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase()
  let body: Uint8Array<ArrayBuffer> | undefined
  if (event.body !== undefined && event.body !== null && method !== 'GET' && method !== 'HEAD') {
    body = event.isBase64Encoded ? base64ToBytes(event.body) : new TextEncoder().encode(event.body)
  }
  return new Request(url, { method, headers, body })
}

/** Turn a fetch Response into a format 2.0 result (JSON answers stay text). */
export async function lambdaResultFromResponse(response: Response): Promise<LambdaHttpResult> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => (headers[name] = value))
  return { statusCode: response.status, headers, body: await response.text(), isBase64Encoded: false }
}

/**
 * A Lambda handler around a fetch-style app. It never throws (Lambda would answer 502 and log the
 * raw event): an event that cannot be a request (a body that is not base64, a header value fetch
 * refuses, a method such as TRACE) is answered 400, a failure of the app 500, each logged in one
 * bounded line.
 */
export function lambdaHandlerFor(app: FetchHandler, log: (line: string) => void = (line) => console.error(line)): (event: LambdaHttpEvent) => Promise<LambdaHttpResult> {
  const say = boundedLog(log)
  return async (event) => {
    let request: Request
    try {
      request = requestFromLambdaEvent(event ?? {})
    } catch (err) {
      say(`mailstitch relay lambda: refused a malformed request with 400 (${describe(err)})`)
      return errorResult(400, 'bad_request')
    }
    try {
      return await lambdaResultFromResponse(await app(request))
    } catch (err) {
      say(`mailstitch relay lambda: failed with 500 (${describe(err)})`)
      return errorResult(500, 'internal_error')
    }
  }
}

/** A Lambda handler configured from `env` (the same variable names as the CLI). */
export function createLambdaHandler(env: Readonly<Record<string, unknown>>, options: WebhookAppOptions = {}): (event: LambdaHttpEvent) => Promise<LambdaHttpResult> {
  return lambdaHandlerFor(createWebhookApp(webhookConfigFromEnv(env), { log: (line) => console.log(line), ...options }), options.log)
}

let configured: ((event: LambdaHttpEvent) => Promise<LambdaHttpResult>) | undefined

/**
 * The handler to name in the Lambda configuration (`index.handler`). Reads the function's
 * environment variables on the first invocation and keeps the app (profile cache, rate budget)
 * for the life of the execution environment.
 */
export async function handler(event: LambdaHttpEvent): Promise<LambdaHttpResult> {
  if (!configured) {
    // Lambda's Node runtime exposes the function's variables on process.env; read through
    // globalThis so this module stays free of Node's globals (it type-checks without them).
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {}
    try {
      configured = createLambdaHandler(env)
    } catch (err) {
      console.error(logLine(`mailstitch relay lambda: ${describe(err)}`))
      const variable = err instanceof WebhookConfigError ? err.variable : undefined
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error: 'misconfigured', variable }), isBase64Encoded: false }
    }
  }
  return configured(event)
}

function errorResult(status: number, error: string): LambdaHttpResult {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error }), isBase64Encoded: false }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Bytes of a base64 body; throws on anything that is not base64 (atob alone skips some of it). */
function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b64)) throw new TypeError('the body is marked base64 but is not base64')
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}
