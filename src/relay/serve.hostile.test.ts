/**
 * `relay serve` under hostile connections, on real sockets (port 0): slow clients cannot starve
 * `/healthz` or a signed webhook, malformed requests get a 4xx (never a 500), every 503 carries
 * Retry-After, and refused requests are logged in bounded lines.
 */
import net from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { buildKlaviyoWebhook } from '../../sandbox/webhook-sender'
import { useSandboxServices } from '../../test/helpers/sandbox-services'
import { createWebhookApp, webhookConfigFromEnv } from '../webhook/config'
import type { FetchHandler } from '../webhook/dispatch'
import { MAX_LOG_LINE } from '../shared/log-line'
import { startWebhookServer, type ServeOptions, type WebhookServer } from './serve'

const PK = 'pk_test'
const WK = 'wk_test'
const SECRET = 'whsec_hostile'

const sandbox = useSandboxServices({ klaviyo: { privateKeys: [PK] }, segment: { writeKeys: [WK] }, lifetime: 'file' })

let server: WebhookServer | undefined
const sockets: net.Socket[] = []
let lines: string[] = []

beforeEach(() => {
  sandbox.segment.reset()
  lines = []
})
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await server?.close()
  server = undefined
})

function app(): FetchHandler {
  const config = webhookConfigFromEnv({ KLAVIYO_WEBHOOK_SECRET: SECRET, KLAVIYO_PRIVATE_KEY: PK, KLAVIYO_API_BASE: sandbox.klaviyo.url, SEGMENT_WRITE_KEY: WK, SEGMENT_API_HOST: sandbox.segment.url })
  return createWebhookApp(config)
}

async function serve(extra: Partial<ServeOptions> = {}): Promise<WebhookServer> {
  server = await startWebhookServer({ handler: app(), port: 0, host: '127.0.0.1', log: (line) => lines.push(line), ...extra })
  return server
}

/** A socket that has connected and written `text` (which may stop mid-request). */
async function openSlow(port: number, text: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  sockets.push(socket)
  socket.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  if (text) socket.write(text)
  return socket
}

/** Everything the server writes back on a raw socket, until it closes the connection. */
async function rawExchange(port: number, text: string): Promise<string> {
  const socket = await openSlow(port, text)
  let answer = ''
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => (answer += chunk))
  await new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return answer
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])

/** One signed Klaviyo delivery of one opened email, profile included (no look-up needed). */
function signedDelivery() {
  const store = sandbox.klaviyo.store
  const profile = store.createOrUpdateProfile({ email: `ada-${Math.random().toString(36).slice(2)}@example.com`, properties: { segment_anonymous_id: 'anon-ada' } }).profile
  const event = store.recordEvent({ metricName: 'Opened Email', profileId: profile.id, time: new Date(Date.now() - 60_000), properties: { $message: 'MSG1', Subject: 'Hi' } })
  return buildKlaviyoWebhook({ secret: SECRET, webhookId: 'wh_1', events: [event], store, includeRelated: true })
}

describe('relay serve under hostile connections', () => {
  it('many slow connections (past the cap) cannot starve /healthz or a signed webhook', async () => {
    const cap = 16
    const { port, url } = await serve({ maxConnections: cap })
    const slow: net.Socket[] = []
    for (let i = 0; i < 45; i++) {
      if (i % 3 === 0) slow.push(await openSlow(port, 'POST /klaviyo HTTP/1.1\r\nHost: relay.test\r\nKlaviyo-Sig')) // headers never finish
      else if (i % 3 === 1) slow.push(await openSlow(port, 'POST /klaviyo HTTP/1.1\r\nHost: relay.test\r\nContent-Length: 100000\r\n\r\n{"data":[')) // body never finishes
      else slow.push(await openSlow(port, '')) // connects, says nothing
    }
    // Positive signal first: the server has seen all of them (one eviction per connection past the cap).
    await vi.waitFor(() => expect(lines.filter((l) => l.includes('closed the oldest one not being answered')).length).toBe(45 - cap), { timeout: 10_000, interval: 20 })
    await vi.waitFor(() => expect(slow.filter((s) => s.closed).length).toBeGreaterThanOrEqual(45 - cap), { timeout: 10_000, interval: 20 })

    const health = await fetch(`${url}/healthz`)
    expect(health.status).toBe(200)
    const delivery = signedDelivery()
    const res = await fetch(`${url}/klaviyo/webhook`, { method: 'POST', headers: delivery.headers, body: delivery.rawBody })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ok: true, received: 1, sent: 1 })
    expect(sandbox.segment.events().map((e) => e.anonymousId)).toEqual(['anon-ada'])
  })

  it('when every connection is being answered, a newcomer gets 503 with Retry-After', async () => {
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let entered = 0
    const handler: FetchHandler = async () => {
      entered++
      await held
      return new Response('{"ok":true}', { status: 200 })
    }
    const { port, url } = await serve({ handler, maxConnections: 2 })
    const busy = [fetch(`${url}/healthz`), fetch(`${url}/healthz`)]
    await vi.waitFor(() => expect(entered).toBe(2), { timeout: 10_000, interval: 10 })
    const answer = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: relay.test\r\n\r\n')
    expect(statusOf(answer)).toBe(503)
    expect(answer).toMatch(/\r\nretry-after: 30\r\n/i)
    release()
    expect((await Promise.all(busy)).map((r) => r.status)).toEqual([200, 200])
  })

  it('a body that does not arrive in time is answered 408 and the connection closed', async () => {
    const { port } = await serve({ bodyTimeoutMs: 200 })
    const answer = await rawExchange(port, 'POST /klaviyo HTTP/1.1\r\nHost: relay.test\r\nContent-Length: 1000\r\n\r\n{"data":')
    expect(statusOf(answer)).toBe(408)
    expect(lines.some((l) => /refused POST \/klaviyo from .* with 408 \(body not received within 200 ms\)/.test(l))).toBe(true)
  })

  it('headers that do not arrive in time are answered 408 and the connection closed', async () => {
    const { port } = await serve({ headersTimeoutMs: 200 })
    const answer = await rawExchange(port, 'POST /klaviyo HTTP/1.1\r\nHost: relay.test\r\nX-Slow: ')
    expect(statusOf(answer)).toBe(408)
  })

  it.each([
    ['an invalid Host', 'GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n', 400],
    ['a Host with a path', 'GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n', 400],
    ['TRACE', 'TRACE / HTTP/1.1\r\nHost: relay.test\r\n\r\n', 405],
    ['an unknown method', 'TRACK / HTTP/1.1\r\nHost: relay.test\r\n\r\n', 400],
    ['CONNECT', 'CONNECT relay.test:443 HTTP/1.1\r\nHost: relay.test:443\r\n\r\n', 405],
    ['a Content-Length that is not a number', 'POST / HTTP/1.1\r\nHost: relay.test\r\nContent-Length: abc\r\n\r\n', 400],
    ['two different Content-Lengths', 'POST / HTTP/1.1\r\nHost: relay.test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 400],
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: relay.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['a broken chunk size', 'POST / HTTP/1.1\r\nHost: relay.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400],
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n', 400],
    ['a header folded over two lines', 'GET / HTTP/1.1\r\nHost: relay.test\r\nX-A: a\r\n b\r\n\r\n', 400],
    ['an absolute target with a bad authority', 'GET http://[::1/ HTTP/1.1\r\nHost: relay.test\r\n\r\n', 400],
  ])('%s gets a 4xx, never a 500', async (_label, request, status) => {
    const { port } = await serve()
    const answer = await rawExchange(port, request)
    expect(statusOf(answer)).toBe(status)
    expect(lines.length).toBeGreaterThan(0)
  })

  it('logs a forged request with a huge header in one bounded line, without the header', async () => {
    const { port } = await serve()
    const forged = 'Z'.repeat(20 * 1024) // past Node's 16 KB header limit
    const answer = await rawExchange(port, `POST / HTTP/1.1\r\nHost: relay.test\r\nX-Forged: ${forged}\r\n\r\n`)
    expect(statusOf(answer)).toBe(431)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^relay serve: refused a request from .* with 431 \(HPE_HEADER_OVERFLOW\)$/)
    expect(lines[0]!.length).toBeLessThanOrEqual(MAX_LOG_LINE)
    expect(lines[0]).not.toContain('ZZZZ')
  })

  it('adds Retry-After to a 503 the handler made without one', async () => {
    const { url } = await serve({ handler: async () => new Response('{}', { status: 503 }) })
    const res = await fetch(`${url}/x`, { method: 'POST', body: '{}' })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('30')
  })

  it('a SEGMENT_API_HOST with credentials: the 503 is logged without them', async () => {
    const host = sandbox.segment.url.replace('://', '://suser:SPASS9@')
    const config = webhookConfigFromEnv({ KLAVIYO_WEBHOOK_SECRET: SECRET, KLAVIYO_PRIVATE_KEY: PK, KLAVIYO_API_BASE: sandbox.klaviyo.url, SEGMENT_WRITE_KEY: WK, SEGMENT_API_HOST: host })
    const appLines: string[] = []
    const { url } = await serve({ handler: createWebhookApp(config, { log: (line) => appLines.push(line), segmentBudgetMs: 200 }) })
    const delivery = signedDelivery()
    const res = await fetch(`${url}/klaviyo/webhook`, { method: 'POST', headers: delivery.headers, body: delivery.rawBody })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('30')
    expect(appLines.some((l) => l.includes('Segment did not accept'))).toBe(true)
    expect(appLines.join('\n')).not.toMatch(/SPASS9|suser/)
  })
})
