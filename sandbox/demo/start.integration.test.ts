import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DemoPortError, SITE_WRITE_KEY, startDemo, type Demo } from '../demo'

const ephemeral = { store: 0, collector: 0, klaviyo: 0, console: 0 }

/** GET/POST without following redirects, with an optional Host header. */
function request(url: string, o: { method?: string; host?: string; body?: string; type?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: o.method ?? 'GET', headers: { ...(o.host ? { host: o.host } : {}), ...(o.type ? { 'content-type': o.type } : {}) } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      },
    )
    req.on('error', reject)
    req.end(o.body)
  })
}

// Needs the built bundle: startDemo fails with "run `npm run build` first" without it (npm test builds first).
describe('startDemo', () => {
  let demo: Demo
  let dataDir: string

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'mailstitch-demo-test-'))
    demo = await startDemo({ ports: ephemeral, dataDir, relayIntervalSeconds: 1 })
  })
  afterAll(async () => {
    await demo?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('serves the store with the real snippet pointed at the collector and the inline snippet pointed at the emulator', async () => {
    const r = await request(demo.urls.store + '/products/linen-overshirt')
    expect(r.status).toBe(200)
    expect(r.body).toContain('analytics.SNIPPET_VERSION="5.2.1"')
    expect(r.body).toContain(`t.src="http://127.0.0.1:${demo.collector.port}/analytics.js/v1/" + key + "/analytics.min.js"`)
    expect(r.body).toContain(`analytics.load("${SITE_WRITE_KEY}")`)
    // mailstitch's inline snippet right after Segment's, loading /dist/mailstitch.min.js with the emulator as API base.
    expect(r.body).toMatch(new RegExp(`\\("/dist/mailstitch\\.min\\.js",\\{"klaviyoCompanyId":"\\w{6}","klaviyoListId":"\\w+","klaviyoApiBase":"${demo.klaviyo.url}"\\}\\);</script>`))
    expect(r.body.indexOf('"/dist/mailstitch.min.js"')).toBeGreaterThan(r.body.indexOf('analytics.load('))
    expect(r.body).toContain('name="contact[email]"')
    expect(r.body).toContain('klaviyo-form-Xy12Ab')
    // On the other host name the snippet follows the page's host.
    const other = await request(demo.urls.storeOtherDevice + '/')
    expect(other.body).toContain(`"http://localhost:${demo.collector.port}/analytics.js/v1/"`)
    expect((await request(demo.urls.store + '/dist/mailstitch.min.js')).status).toBe(200)
    expect((await request(demo.urls.store + '/assets/store.js')).body).toContain('Order Completed')
    expect((await request(demo.urls.store + '/products/nope')).status).toBe(404)
  })

  it('the collector serves analytics.js and CDN settings for the site key', async () => {
    const js = await request(`${demo.collector.url}/analytics.js/v1/${SITE_WRITE_KEY}/analytics.min.js`)
    expect(js.status).toBe(200)
    const settings = JSON.parse((await request(`${demo.collector.url}/v1/projects/${SITE_WRITE_KEY}/settings`)).body)
    expect(settings.integrations['Segment.io'].apiHost).toBe(`127.0.0.1:${demo.collector.port}/v1`)
  })

  it('the newsletter form posts and redirects back, as Shopify does', async () => {
    const r = await request(demo.urls.store + '/contact', {
      method: 'POST',
      type: 'application/x-www-form-urlencoded',
      body: 'form_type=customer&contact%5Btags%5D=newsletter&contact%5Bemail%5D=ada%40example.com',
    })
    expect(r.status).toBe(302)
    expect(r.headers.location).toBe('/?customer_posted=true#ContactFooter')
    expect(demo.posts.at(-1)).toMatchObject({ email: 'ada@example.com', tags: 'newsletter', host: '127.0.0.1' })
  })

  it('answers only to its own host names', async () => {
    expect((await request(demo.urls.store + '/', { host: `evil.test:${new URL(demo.urls.store).port}` })).status).toBe(421)
    expect((await request(demo.urls.console + '/', { host: 'evil.test' })).status).toBe(421)
  })

  it('console pages carry a strict CSP; its POST API takes JSON only', async () => {
    const page = await request(demo.urls.journey)
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self';/)
    expect(page.body).not.toMatch(/<script>/)
    expect((await request(demo.urls.console + '/api/send', { method: 'POST', type: 'application/x-www-form-urlencoded', body: 'profileId=x' })).status).toBe(415)
    const bad = await request(demo.urls.console + '/api/send', { method: 'POST', type: 'application/json', body: '{"profileId":"nope","template":"welcome"}' })
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body).error).toMatch(/no profile/)
  })

  it('send, open and a tracked click: Klaviyo events recorded, the click redirects to the other device', async () => {
    const { profile } = demo.klaviyo.store.createOrUpdateProfile({ email: 'grace@example.com', properties: { segment_anonymous_id: 'bridge-0123456789' } }, { mode: 'client' })
    const sent = JSON.parse((await request(demo.urls.console + '/api/send', { method: 'POST', type: 'application/json', body: JSON.stringify({ profileId: profile.id, template: 'spring-linen' }) })).body)
    expect(sent.links[0].url).toContain('mst=bridge-0123456789')
    expect((await request(demo.urls.console + '/api/open', { method: 'POST', type: 'application/json', body: JSON.stringify({ id: sent.id }) })).status).toBe(200)
    const email = await request(`${demo.urls.console}/email/${sent.id}?device=other`)
    expect(email.headers['content-security-policy']).toMatch(/default-src 'none'/)
    expect(email.body).toContain(`href="/t/c/${sent.id}/0?device=other"`)
    const click = await request(`${demo.urls.console}/t/c/${sent.id}/0?device=other`)
    expect(click.status).toBe(302)
    expect(click.headers.location).toBe(`${demo.urls.storeOtherDevice}/products/linen-overshirt?mst=bridge-0123456789&utm_source=klaviyo&utm_medium=email&utm_campaign=spring-linen-drop`)
    expect((await request(`${demo.urls.console}/t/c/${sent.id}/7`)).status).toBe(404)
    const profiles = JSON.parse((await request(demo.urls.console + '/api/profiles')).body)
    expect(profiles[0]).toMatchObject({ email: 'grace@example.com', segment_anonymous_id: 'bridge-0123456789', emails: 1 })
  })

  it('the relay, following the emulator, brings the email events into the collector keyed to the bridge id', async () => {
    const relayed = await demo.collector.waitFor((e) => e.event === 'Email Link Clicked', 15_000)
    expect(relayed.anonymousId).toBe('bridge-0123456789')
    await demo.collector.waitFor((e) => e.event === 'Email Opened', 5_000)
    const journey = async () => JSON.parse((await request(demo.urls.console + '/api/journey')).body)
    // The poll's summary comes once the whole poll is done, a moment after its events arrive.
    await expect.poll(async () => (await journey()).relay.sent, { timeout: 10_000 }).toBeGreaterThanOrEqual(3)
    const j = await journey()
    expect(j.with.totals.emailEvents).toBe(3)
    expect(j.relay).toMatchObject({ running: true, intervalSeconds: 1 })
    // The same events, as JSON lines, in the file and over HTTP.
    const lines = readFileSync(demo.eventsFile, 'utf8').trim().split('\n')
    expect(lines.length).toBe(demo.collector.events().length)
    expect((await request(demo.urls.console + '/api/events.jsonl')).body.trim().split('\n')).toHaveLength(lines.length)
  })

  it('shows the events a relay with a mistyped write key "sent" as dropped: Segment answered 200 to each request', async () => {
    const journey = async () => JSON.parse((await request(demo.urls.console + '/api/journey')).body)
    expect((await journey()).dropped).toEqual({ total: 0, byReason: {} })
    const before = demo.collector.events().length
    const r = await request(demo.urls.console + '/api/mistyped-key', { method: 'POST', type: 'application/json', body: '{}' })
    expect(r.status).toBe(200)
    const run = JSON.parse(r.body)
    expect(run).toMatchObject({ writeKey: 'demo_klaviyo_relay_typo', segmentAnswered: '200 {"success":true}' })
    expect(run.sent).toBeGreaterThanOrEqual(3) // the relay believes it sent them…
    const j = await journey()
    expect(j.dropped).toEqual({ total: run.sent, byReason: { unknown_write_key: run.sent } }) // …and none arrived
    expect(demo.collector.events()).toHaveLength(before)
    expect((await request(demo.urls.journey)).body).toContain('/assets/journey.js')
    expect((await request(demo.urls.console + '/assets/journey.js')).body).toContain('Dropped by Segment')
  })

  it('refuses to start on a taken port, with a clear message, and leaves the running demo’s files alone', async () => {
    writeFileSync(demo.eventsFile, readFileSync(demo.eventsFile))
    const before = readFileSync(demo.eventsFile, 'utf8')
    const err = await startDemo({ ports: { ...ephemeral, store: Number(new URL(demo.urls.store).port) }, dataDir }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DemoPortError)
    expect((err as Error).message).toMatch(/^port \d+ \(demo store\) is already in use\. .*MAILSTITCH_DEMO_PORT=<port> or --port <port>/)
    expect(readFileSync(demo.eventsFile, 'utf8')).toBe(before)
  })
})
