import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { KlaviyoStore } from '../klaviyo-emulator'
import { BRIDGE_TAG, Mailer, emailHtml, personContext } from './mailer'

const STORE = 'http://127.0.0.1:8780'

function setup(props: Record<string, unknown> = { segment_anonymous_id: 'anon-12345678' }, utm = true) {
  const store = new KlaviyoStore()
  const { profile } = store.createOrUpdateProfile({ email: 'ada@example.com', first_name: 'Ada', properties: props })
  return { store, profile, mailer: new Mailer({ store, storeUrl: STORE, utm }) }
}

const metricName = (store: KlaviyoStore, id: string) => store.metrics().find((m) => m.id === id)?.name

describe('Mailer', () => {
  it('renders links with the Klaviyo template tag, exactly as Klaviyo would, and records Received Email', async () => {
    const { store, profile, mailer } = setup()
    const s = await mailer.send(profile.id, 'spring-linen')
    expect(s.links[0]).toEqual({
      label: 'Shop the Linen Overshirt',
      template: `${STORE}/products/linen-overshirt?mst={{ person|lookup:'segment_anonymous_id'|default:'' }}`,
      url: `${STORE}/products/linen-overshirt?mst=anon-12345678&utm_source=klaviyo&utm_medium=email&utm_campaign=spring-linen-drop`,
      primary: true,
    })
    expect(s.paragraphs[0]).toMatch(/^Hi Ada,/)
    expect(s.token).toBe('anon-12345678')
    const [ev] = store.events()
    expect(metricName(store, ev!.metric_id)).toBe('Received Email')
    expect(ev!.profile_id).toBe(profile.id)
    expect(ev!.event_properties).toMatchObject({ $message: 'Rt3LmQ', 'Campaign Name': 'Spring Linen Drop', Subject: 'The Linen Overshirt is back', 'Recipient Email Address': 'ada@example.com', 'Email Domain': 'example.com' })
    expect(ev!.event_properties.$flow).toBeUndefined()
  })

  it('flow emails carry $flow; a profile without a bridge id gets an empty token; UTM can be off', async () => {
    const { store, profile, mailer } = setup({}, false)
    const s = await mailer.send(profile.id, 'welcome')
    expect(s.links[0]!.url).toBe(`${STORE}/?mst=`)
    expect(s.subject).toBe('Welcome to Harbor & Loom, Ada')
    expect(store.events()[0]!.event_properties).toMatchObject({ $flow: 'WfK2p7', $message: 'Xr4N8q', 'Campaign Name': 'Welcome Series: Email 1' })
  })

  it('open and click record Opened Email and Clicked Email (with URL)', async () => {
    const { store, profile, mailer } = setup()
    const s = await mailer.send(profile.id, 'back-in-stock')
    mailer.open(s.id)
    const { url } = mailer.click(s.id, 0)
    expect(url).toBe(s.links[0]!.url)
    // Same second: the store orders them by id, so follow the ids the mailer recorded.
    const recorded = mailer.get(s.id)!.events.map((id) => store.getEvent(id)!)
    expect(recorded.map((e) => metricName(store, e.metric_id))).toEqual(['Received Email', 'Opened Email', 'Clicked Email'])
    expect(recorded[2]!.event_properties.URL).toBe(url)
    expect(recorded[1]!.event_properties).toMatchObject({ 'Client Name': 'Chrome', machine_open: false })
    expect(mailer.get(s.id)).toMatchObject({ opens: 1, clicks: 1 })
    expect(mailer.list(profile.id)).toHaveLength(1)
    expect(() => mailer.click(s.id, 9)).toThrow(/no link/)
    expect(() => mailer.open('nope')).toThrow(/no email/)
    await expect(mailer.send('nope', 'welcome')).rejects.toThrow(/no profile/)
    await expect(mailer.send(profile.id, 'nope')).rejects.toThrow(/no template/)
  })

  it('hostile profile values stay data: raw in the rendered link, escaped in the email HTML', async () => {
    const evil = '"><img src=x onerror=alert(1)>'
    const { profile, mailer } = setup({ segment_anonymous_id: evil })
    ;(profile as { first_name: string | null }).first_name = evil
    const s = await mailer.send(profile.id, 'welcome')
    expect(s.links[0]!.url).toBe(`${STORE}/?mst=${evil}&utm_source=klaviyo&utm_medium=email&utm_campaign=welcome-series-email-1`)
    const page = emailHtml(s, (i) => `/t/c/${s.id}/${i}`).value
    expect(page).not.toContain('<img')
    expect(page).toContain('Hi &quot;&gt;&lt;img src=x onerror=alert(1)&gt;, thanks')
    // The email links go through the click tracker, never straight to the rendered URL.
    expect(page).not.toContain('mst=')
  })

  it('personContext exposes the profile the way Klaviyo templates name it', () => {
    const { profile } = setup()
    expect(personContext(profile)).toMatchObject({ first_name: 'Ada', email: 'ada@example.com', person: { segment_anonymous_id: 'anon-12345678', email: 'ada@example.com', KlaviyoID: profile.id } })
  })
})

describe('the template tag the simulator shows', () => {
  it('is the one the docs tell a store to paste (README, docs/klaviyo-setup.md)', () => {
    const root = new URL('../../', import.meta.url)
    const files = ['README.md', ...readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
    const tags = files.flatMap((f) => (readFileSync(new URL(f, root), 'utf8').match(/\{\{ person\|lookup:'segment_anonymous_id'[^}]*\}\}/g) ?? []).map((tag) => [f, tag]))
    expect(tags.filter(([f]) => f === 'docs/klaviyo-setup.md').length).toBeGreaterThan(0)
    for (const [file, tag] of tags) expect(`${file}: ${tag}`).toBe(`${file}: ${BRIDGE_TAG}`)
  })
})
