/**
 * The AWS Lambda adapter with AWS's published payload format 2.0 events (test/helpers/aws-events.ts),
 * carrying real signed Klaviyo webhook bodies, against the sandbox emulators.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { buildKlaviyoWebhook } from '../../sandbox/webhook-sender'
import { buildShopifyWebhook } from '../../sandbox/shopify/order-webhook'
import { functionUrlExample, httpApiGetExample, httpApiV2Example } from '../../test/helpers/aws-events'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { createLambdaHandler, handler, lambdaHandlerFor, type LambdaHttpEvent } from './lambda'

const PK = 'pk_lambda'
const WK = 'wk_lambda'
const SECRET = 'whsec_lambda'
const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] } })
let env: Record<string, string>

beforeAll(() => {
  env = { KLAVIYO_WEBHOOK_SECRET: SECRET, KLAVIYO_PRIVATE_KEY: PK, SEGMENT_WRITE_KEY: WK, KLAVIYO_API_BASE: sandbox.klaviyo.url, SEGMENT_API_HOST: sandbox.segment.url }
})

/** A signed published-shape batch whose event properties hold non-ASCII text (the signature covers bytes). */
function signedBatch(secret = SECRET) {
  const store = sandbox.klaviyo.store
  const ada = store.createOrUpdateProfile({ email: 'ada@example.com', properties: { segment_anonymous_id: 'anon-ada' } }).profile
  const e = store.recordEvent({ metricName: 'Opened Email', profileId: ada.id, time: new Date(Date.now() - 60_000), properties: { Subject: 'Grüße zum Fest 🎄', $message: 'M1' } })
  return buildKlaviyoWebhook({ secret, webhookId: 'wh_l', events: [e], store })
}

/** An AWS example event carrying the webhook request. */
function eventFrom(example: typeof functionUrlExample | typeof httpApiV2Example, req: ReturnType<typeof signedBatch>, base64: boolean): LambdaHttpEvent {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]))
  return { ...example, headers, body: base64 ? Buffer.from(req.rawBody, 'utf8').toString('base64') : req.rawBody, isBase64Encoded: base64 }
}

describe('mailstitch/relay/lambda', () => {
  it("keys a Shopify order without the attribute to its email's Klaviyo profile (Visitor Linked where the attribute differs)", async () => {
    sandbox.klaviyo.store.createOrUpdateProfile({ email: 'ada@example.com', properties: { segment_anonymous_id: 'anon-ada' } })
    const run = createLambdaHandler({ SHOPIFY_WEBHOOK_SECRET: 'shpss_lambda', KLAVIYO_PRIVATE_KEY: PK, SEGMENT_WRITE_KEY: WK, KLAVIYO_API_BASE: sandbox.klaviyo.url, SEGMENT_API_HOST: sandbox.segment.url })
    const send = async (order: Parameters<typeof buildShopifyWebhook>[0]['order']) => {
      const req = buildShopifyWebhook({ secret: 'shpss_lambda', order })
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]))
      return run({ ...functionUrlExample, headers, body: req.body, isBase64Encoded: false })
    }
    expect((await send({ orderId: '7001', customerId: null, email: 'ada@example.com' })).statusCode).toBe(200)
    expect((await send({ orderId: '7002', bridgeId: 'this-browser-0001', email: 'ada@example.com' })).statusCode).toBe(200)
    await sandbox.segment.waitFor((e) => e.event === 'Visitor Linked')
    expect(sandbox.segment.events().map((e) => [e.event, e.anonymousId, e.messageId])).toEqual([
      ['Order Completed', 'anon-ada', 'shopify-order-7001'],
      ['Order Completed', 'this-browser-0001', 'shopify-order-7002'],
      ['Visitor Linked', 'this-browser-0001', 'shopify-visitor-link-7002'],
    ])
  })

  it("relays a signed batch from AWS's function URL example event (text body)", async () => {
    const run = createLambdaHandler(env)
    const out = await run(eventFrom(functionUrlExample, signedBatch(), false))
    expect(out).toMatchObject({ statusCode: 200, isBase64Encoded: false, headers: { 'content-type': 'application/json' } })
    expect(JSON.parse(out.body)).toEqual({ ok: true, received: 1, sent: 1, skipped: 0 })
    expect(sandbox.segment.events()[0]).toMatchObject({ event: 'Email Opened', anonymousId: 'anon-ada', properties: { email_subject: 'Grüße zum Fest 🎄' }, context: { traits: { email: 'ada@example.com' } } })
  })

  it("relays a signed batch from AWS's HTTP API 2.0 example event with a base64-encoded body", async () => {
    const run = createLambdaHandler(env)
    const out = await run(eventFrom(httpApiV2Example, signedBatch(), true))
    expect(out.statusCode).toBe(200)
    expect(sandbox.segment.events()).toHaveLength(1)
  })

  it('refuses a forged batch (either encoding) with 401 and sends nothing', async () => {
    const run = createLambdaHandler(env)
    for (const base64 of [false, true]) {
      const out = await run(eventFrom(httpApiV2Example, signedBatch('not-the-secret'), base64))
      expect(out.statusCode).toBe(401)
      expect(JSON.parse(out.body)).toEqual({ ok: false, error: 'bad_signature' })
    }
    // A base64 body passed on as text would not verify either: the bytes are what is signed.
    const req = signedBatch()
    const wrong = { ...eventFrom(httpApiV2Example, req, true), isBase64Encoded: false }
    expect((await run(wrong)).statusCode).toBe(401)
    expect(sandbox.segment.requests()).toBe(0)
  })

  it("answers AWS's GET example (health check) with 200", async () => {
    const out = await createLambdaHandler(env)(httpApiGetExample)
    expect(out).toMatchObject({ statusCode: 200, body: '{"ok":true}' })
  })

  it('`handler` reads the function environment once; a missing setting is a 500 naming it', async () => {
    const saved = { ...process.env }
    try {
      Object.assign(process.env, env, { KLAVIYO_PRIVATE_KEY: '' })
      const bad = await handler(eventFrom(functionUrlExample, signedBatch(), false))
      expect(bad.statusCode).toBe(500)
      expect(JSON.parse(bad.body)).toEqual({ ok: false, error: 'misconfigured', variable: 'KLAVIYO_PRIVATE_KEY' })
      process.env.KLAVIYO_PRIVATE_KEY = PK
      const ok = await handler(eventFrom(functionUrlExample, signedBatch(), true))
      expect(ok.statusCode).toBe(200)
    } finally {
      for (const k of Object.keys(env)) delete process.env[k]
      Object.assign(process.env, saved)
    }
  })

  it.each<[string, LambdaHttpEvent]>([
    ['a body marked base64 that is not', { ...httpApiV2Example, body: '{"data":[]} not base64!', isBase64Encoded: true }],
    ['a header value outside latin-1', { ...httpApiV2Example, headers: { 'klaviyo-signature': 'Grüße 🎄' }, body: '{}' }],
    ['a header name fetch refuses', { ...httpApiV2Example, headers: { 'bad name': 'x' }, body: '{}' }],
    ['a header value with a newline', { ...httpApiV2Example, headers: { 'x-a': 'a\r\nb' }, body: '{}' }],
    ['the TRACE method', { ...httpApiGetExample, requestContext: { http: { method: 'TRACE' } } }],
    ['a method that is not a token', { ...httpApiGetExample, requestContext: { http: { method: 'GE T' } } }],
  ])('never throws: %s is answered 400 and logged in one bounded line', async (_label, event) => {
    const lines: string[] = []
    const out = await createLambdaHandler(env, { log: (line) => lines.push(line) })(event)
    expect(out).toEqual({ statusCode: 400, headers: { 'content-type': 'application/json' }, body: '{"ok":false,"error":"bad_request"}', isBase64Encoded: false })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^mailstitch relay lambda: refused a malformed request with 400 \(.+\)$/)
    expect(sandbox.segment.requests()).toBe(0)
  })

  it('never throws when the app fails: 500, logged', async () => {
    const lines: string[] = []
    const failing = lambdaHandlerFor(async () => {
      throw new Error('boom at https://user:secret@host.example/')
    }, (line) => lines.push(line))
    const out = await failing(httpApiGetExample)
    expect(out.statusCode).toBe(500)
    expect(lines).toEqual(['mailstitch relay lambda: failed with 500 (boom at https://***@host.example/)'])
  })
})
