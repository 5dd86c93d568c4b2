/**
 * The email simulator's engine: "sends" Klaviyo campaigns and flow emails to profiles of the
 * Klaviyo emulator. A send records `Received Email` on the profile, an open `Opened Email`, a
 * click `Clicked Email` (with `URL`), with the event properties Klaviyo puts on those metrics.
 * Links are written with the Klaviyo template tag `{{ person|lookup:'segment_anonymous_id'|default:'' }}`
 * (the one README.md and docs/klaviyo-setup.md give) and rendered with Liquid (Klaviyo's template language is Django-like; this subset is the same),
 * so a profile without a bridge id gets `?mst=` with nothing after it, exactly as Klaviyo would.
 */
import { randomBytes } from 'node:crypto'
import { Liquid } from 'liquidjs'
import type { KlaviyoProfile, KlaviyoStore } from '../klaviyo-emulator'
import { STORE_NAME } from './catalog'
import { esc, html, raw, type Html } from './html'

/** One email the simulator can send. */
export interface EmailTemplate {
  key: string
  kind: 'campaign' | 'flow'
  /** `Campaign Name` (for flows Klaviyo fills in the flow message name). */
  name: string
  /** Flow name (flows only). */
  flowName?: string
  /** `$message`: the message id. */
  messageId: string
  /** `$flow`: the flow id (flows only). */
  flowId?: string
  subject: string
  preheader: string
  heading: string
  paragraphs: string[]
  /** Link targets relative to the store, with Klaviyo template tags. */
  links: Array<{ label: string; path: string; primary?: boolean }>
}

export const LINK_PARAM = 'mst'
/** What the site's Klaviyo templates append to every store link. */
export const BRIDGE_TAG = `{{ person|lookup:'segment_anonymous_id'|default:'' }}`

export const TEMPLATES: readonly EmailTemplate[] = [
  {
    key: 'welcome',
    kind: 'flow',
    name: 'Welcome Series: Email 1',
    flowName: 'Welcome Series',
    flowId: 'WfK2p7',
    messageId: 'Xr4N8q',
    subject: `Welcome to ${STORE_NAME}, {{ first_name|default:'friend' }}`,
    preheader: 'Here is 10% off your first order.',
    heading: 'Glad you are here.',
    paragraphs: [
      "Hi {{ first_name|default:'there' }}, thanks for joining the list. We make a small run of things for slow mornings and long walks.",
      'Use WELCOME10 at checkout for 10% off your first order.',
    ],
    links: [
      { label: 'Shop the collection', path: '/', primary: true },
      { label: 'Our Linen Overshirt', path: '/products/linen-overshirt' },
    ],
  },
  {
    key: 'spring-linen',
    kind: 'campaign',
    name: 'Spring Linen Drop',
    messageId: 'Rt3LmQ',
    subject: 'The Linen Overshirt is back',
    preheader: 'Washed linen, boxy fit, three new colours.',
    heading: 'Spring linen is here.',
    paragraphs: [
      "Hi {{ first_name|default:'there' }}, our best-selling Linen Overshirt is back in three new colours, alongside the Waxed Canvas Tote.",
      'Free shipping on orders over $75 this week.',
    ],
    links: [
      { label: 'Shop the Linen Overshirt', path: '/products/linen-overshirt', primary: true },
      { label: 'Waxed Canvas Tote', path: '/products/waxed-canvas-tote' },
    ],
  },
  {
    key: 'back-in-stock',
    kind: 'campaign',
    name: 'Back in stock: Merino Throw',
    messageId: 'Bk7StQ',
    subject: 'Back in stock: the Merino Throw',
    preheader: 'Only a few dozen this season.',
    heading: 'It is back.',
    paragraphs: ["Hi {{ first_name|default:'there' }}, the Merino Throw you looked at is back in stock, woven in Portugal."],
    links: [{ label: 'Get the Merino Throw', path: '/products/merino-throw', primary: true }],
  },
]

/** One rendered link of a sent email. */
export interface SentLink {
  label: string
  /** The href as written in the template. */
  template: string
  /** The href as Klaviyo renders it for this profile (plus UTM parameters when on). */
  url: string
  primary: boolean
}

/** An email the simulator sent. */
export interface SentEmail {
  id: string
  profileId: string
  to: string
  template: string
  kind: 'campaign' | 'flow'
  campaignName: string
  subject: string
  preheader: string
  heading: string
  paragraphs: string[]
  links: SentLink[]
  sentAt: string
  /** Bridge id the links carry ('' when the profile has none). */
  token: string
  opens: number
  clicks: number
  /** Klaviyo event ids recorded for it. */
  events: string[]
}

export interface MailerOptions {
  store: KlaviyoStore
  /** Store origin the email links point at, e.g. http://127.0.0.1:8780. */
  storeUrl: string
  /** Append Klaviyo's UTM parameters to links (default true). */
  utm?: boolean
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
function shortId(n = 10): string {
  const bytes = randomBytes(n)
  let s = ''
  for (const b of bytes) s += ALNUM[b % ALNUM.length]
  return s
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}

/** The Liquid the templates are rendered with: Klaviyo's `lookup` filter, no HTML escaping (we escape on output). */
function createLiquid(): Liquid {
  const liquid = new Liquid({ strictFilters: true, cache: true })
  liquid.registerFilter('lookup', (obj: unknown, key: unknown) => {
    if (!obj || typeof obj !== 'object' || typeof key !== 'string') return ''
    const v = (obj as Record<string, unknown>)[key]
    return v === null || v === undefined ? '' : v
  })
  return liquid
}

/** Template variables for a profile, named as in Klaviyo (`person`, `first_name`, `email`, …). */
export function personContext(p: KlaviyoProfile): Record<string, unknown> {
  const person = { ...p.properties, email: p.email, first_name: p.first_name, last_name: p.last_name, KlaviyoID: p.id, id: p.external_id ?? undefined }
  return { person, first_name: p.first_name ?? '', last_name: p.last_name ?? '', email: p.email ?? '', organization: p.organization ?? '' }
}

export class Mailer {
  private readonly liquid = createLiquid()
  private readonly sent: SentEmail[] = []
  utm: boolean

  constructor(private readonly o: MailerOptions) {
    this.utm = o.utm ?? true
  }

  get storeUrl(): string {
    return this.o.storeUrl
  }

  templates(): readonly EmailTemplate[] {
    return TEMPLATES
  }

  /** Sent emails, newest first (optionally of one profile). */
  list(profileId?: string): SentEmail[] {
    return this.sent.filter((s) => !profileId || s.profileId === profileId).reverse()
  }

  get(id: string): SentEmail | undefined {
    return this.sent.find((s) => s.id === id)
  }

  /** The href of a template link as the template author wrote it. */
  linkTemplate(path: string): string {
    return `${this.o.storeUrl}${path}?${LINK_PARAM}=${BRIDGE_TAG}`
  }

  private baseProperties(s: SentEmail, t: EmailTemplate): Record<string, unknown> {
    const props: Record<string, unknown> = {
      $message: t.messageId,
      $message_interaction: t.messageId,
      'Campaign Name': t.name,
      Subject: s.subject,
      'Email Domain': s.to.split('@')[1] ?? '',
      'Recipient Email Address': s.to,
      'Inbox Provider': 'Demo Mail',
      $ESP: 0,
    }
    if (t.kind === 'flow') props.$flow = t.flowId
    return props
  }

  /** Send `templateKey` to a profile: render it and record `Received Email`. */
  async send(profileId: string, templateKey: string): Promise<SentEmail> {
    const profile = this.o.store.getProfile(profileId)
    if (!profile) throw new Error(`no profile ${profileId}`)
    if (!profile.email) throw new Error('the profile has no email address')
    const t = TEMPLATES.find((x) => x.key === templateKey)
    if (!t) throw new Error(`no template ${templateKey}`)
    const ctx = personContext(profile)
    const render = (s: string) => this.liquid.parseAndRender(s, ctx) as Promise<string>
    const links: SentLink[] = []
    for (const l of t.links) {
      const template = this.linkTemplate(l.path)
      let url = await render(template)
      if (this.utm) url += `&utm_source=klaviyo&utm_medium=email&utm_campaign=${encodeURIComponent(slug(t.name))}`
      links.push({ label: l.label, template, url, primary: !!l.primary })
    }
    const s: SentEmail = {
      id: shortId(),
      profileId,
      to: profile.email,
      template: t.key,
      kind: t.kind,
      campaignName: t.name,
      subject: await render(t.subject),
      preheader: await render(t.preheader),
      heading: await render(t.heading),
      paragraphs: await Promise.all(t.paragraphs.map(render)),
      links,
      sentAt: new Date().toISOString(),
      token: String((profile.properties as Record<string, unknown>).segment_anonymous_id ?? ''),
      opens: 0,
      clicks: 0,
      events: [],
    }
    const ev = this.o.store.recordEvent({ metricName: 'Received Email', profileId, properties: this.baseProperties(s, t) })
    s.events.push(ev.id)
    this.sent.push(s)
    return s
  }

  private client(): Record<string, unknown> {
    return { 'Client Name': 'Chrome', 'Client OS': 'Mac OS X', 'Client OS Family': 'Mac OS X', 'Client Type': 'Browser', machine_open: false }
  }

  /** The recipient opened the email (images loaded): `Opened Email`. */
  open(id: string): SentEmail {
    const s = this.get(id)
    if (!s) throw new Error(`no email ${id}`)
    const t = TEMPLATES.find((x) => x.key === s.template)!
    const ev = this.o.store.recordEvent({ metricName: 'Opened Email', profileId: s.profileId, properties: { ...this.baseProperties(s, t), ...this.client() } })
    s.events.push(ev.id)
    s.opens++
    return s
  }

  /** The recipient clicked link `index`: `Clicked Email` with `URL`; returns the destination. */
  click(id: string, index: number): { email: SentEmail; url: string } {
    const s = this.get(id)
    if (!s) throw new Error(`no email ${id}`)
    const link = s.links[index]
    if (!link) throw new Error(`no link ${index}`)
    const t = TEMPLATES.find((x) => x.key === s.template)!
    const ev = this.o.store.recordEvent({ metricName: 'Clicked Email', profileId: s.profileId, properties: { ...this.baseProperties(s, t), ...this.client(), URL: link.url } })
    s.events.push(ev.id)
    s.clicks++
    return { email: s, url: link.url }
  }
}

/**
 * The email as the recipient's mail client shows it. Links go through the click tracker
 * (`trackUrl(i)`), as Klaviyo's do. Every value is escaped: names, subjects and the rendered
 * token come from profiles anyone can write through Klaviyo's client API.
 */
export function emailHtml(s: SentEmail, trackUrl: (index: number) => string): Html {
  const buttons = s.links.map(
    (l, i) => html`<p style="margin:18px 0"><a href="${trackUrl(i)}" target="_blank" rel="noopener" data-link="${i}" style="${l.primary ? 'display:inline-block;background:#1f2a37;color:#fff;padding:12px 22px;border-radius:6px;text-decoration:none;font-weight:600' : 'color:#1f2a37'}">${l.label}</a></p>`,
  )
  return html`<!doctype html><html><head><meta charset="utf-8"><title>${s.subject}</title>
<style>body{margin:0;background:#f3efe8;font:16px/1.5 Georgia,serif;color:#1f2a37}.wrap{max-width:520px;margin:0 auto;background:#fff;padding:28px 32px}.brand{font:600 13px/1 system-ui,sans-serif;letter-spacing:.18em;text-transform:uppercase;color:#8a7350}h1{font-size:28px;margin:16px 0 8px}.foot{font:12px/1.4 system-ui,sans-serif;color:#6b7280;margin-top:28px;border-top:1px solid #eee;padding-top:12px}</style></head>
<body><div class="wrap"><div class="brand">${STORE_NAME}</div><h1>${s.heading}</h1>${s.paragraphs.map((p) => html`<p>${p}</p>`)}${buttons}
<div class="foot">You are receiving this because you signed up at ${STORE_NAME}. ${raw(esc('Unsubscribe'))}</div></div></body></html>`
}
