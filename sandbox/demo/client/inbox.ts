/**
 * The email simulator: Klaviyo profiles on the left; on the right, send a campaign or flow email
 * to the selected profile, open it (records `Opened Email`), and click its links on this browser
 * or on "another device" (the store's other host name). Everything shown is built with textContent.
 */
import { clock, getJson, h, mount, postJson, short } from './dom'
// The wire shape of /api/emails is the mailer's own record (type-only: nothing of it is bundled).
import type { SentEmail } from '../mailer'

interface Profile {
  id: string
  email: string | null
  first_name: string | null
  external_id: string | null
  segment_anonymous_id: string | null
  lists: string[]
  created: string
  emails: number
}
interface Template {
  key: string
  kind: 'campaign' | 'flow'
  name: string
  flowName: string | null
  subject: string
  links: Array<{ label: string; template: string }>
}
interface Config {
  storeUrl: string
  storeOtherUrl: string
  utm: boolean
  storeName: string
}

const CSS = `
.wrap{display:grid;grid-template-columns:340px 1fr;gap:18px;align-items:start}
.panel{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:16px 18px}
.panel h2{font-size:13px;text-transform:uppercase;letter-spacing:.08em;color:#6b7280;margin:0 0 10px}
.profile{border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px;margin-bottom:8px;cursor:pointer;background:#fff;width:100%;text-align:left;font:inherit;display:block}
.profile.on{border-color:#7c3aed;box-shadow:0 0 0 2px #ede9fe}.profile .em{font-weight:600;word-break:break-all}
.mono{font:12px/1.4 ui-monospace,Menlo,monospace;word-break:break-all}.ok{color:#047857}.warn{color:#b91c1c}.muted{color:#6b7280;font-size:12px}
.tpl{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0 4px}
button.b{border:1px solid #d1d5db;background:#fff;border-radius:6px;padding:7px 12px;font:inherit;cursor:pointer}
button.b.primary{background:#7c3aed;border-color:#7c3aed;color:#fff}button.b:disabled{opacity:.5;cursor:default}
.codebox{background:#f9fafb;border:1px solid #e5e7eb;border-radius:6px;padding:8px 10px;margin:6px 0}
.mail{display:grid;grid-template-columns:1fr auto;gap:4px 12px;border-top:1px solid #f0f0f0;padding:10px 0}.mail.on{background:#faf5ff}
.mail .subj{font-weight:600}.chips span{display:inline-block;font-size:11px;border-radius:999px;padding:1px 8px;margin-right:4px;background:#eef2ff;color:#3730a3}
.seg{display:inline-flex;border:1px solid #d1d5db;border-radius:8px;overflow:hidden;margin:8px 0}.seg button{border:0;background:#fff;padding:7px 12px;font:inherit;cursor:pointer}
.seg button.on{background:#111827;color:#fff}iframe.email{width:100%;height:520px;border:1px solid #e5e7eb;border-radius:8px;background:#f3efe8}
.err{color:#b91c1c;margin:6px 0}`

const app = document.getElementById('app')!
const status = document.getElementById('status')!
document.head.appendChild(h('style', null, CSS))

let cfg: Config
let templates: Template[] = []
let profiles: Profile[] = []
let emails: SentEmail[] = []
let selected: string | null = null
let openEmail: string | null = null
let device: 'same' | 'other' = 'same'

// What the reader was looking at survives a reload (this tab only): the selected profile, the
// email they opened and the device choice.
const VIEW_KEY = 'mailstitch-demo-inbox:v1'
function saveView(): void {
  try {
    sessionStorage.setItem(VIEW_KEY, JSON.stringify({ selected, openEmail, device }))
  } catch { /* storage off: the view just starts afresh */ }
}
function restoreView(): void {
  try {
    const v = JSON.parse(sessionStorage.getItem(VIEW_KEY) ?? '{}') as { selected?: unknown; openEmail?: unknown; device?: unknown }
    if (typeof v.selected === 'string') selected = v.selected
    if (typeof v.openEmail === 'string') openEmail = v.openEmail
    if (v.device === 'same' || v.device === 'other') device = v.device
  } catch { /* nothing saved, or not ours */ }
}
let error = ''
let lastJson = ''

async function refreshProfiles(): Promise<void> {
  profiles = await getJson<Profile[]>('/api/profiles')
  if (!selected || !profiles.some((p) => p.id === selected)) selected = profiles[0]?.id ?? null
  emails = selected ? await getJson<SentEmail[]>(`/api/emails?profile=${encodeURIComponent(selected)}`) : []
  // Re-render only on change: a render reloads the email frame.
  const json = JSON.stringify([profiles, emails])
  if (json === lastJson) return
  lastJson = json
  render()
}

async function refreshEmails(): Promise<void> {
  emails = selected ? await getJson<SentEmail[]>(`/api/emails?profile=${encodeURIComponent(selected)}`) : []
  lastJson = JSON.stringify([profiles, emails])
  render()
}

async function act(fn: () => Promise<void>): Promise<void> {
  error = ''
  try {
    await fn()
  } catch (e) {
    error = e instanceof Error ? e.message : String(e)
  }
  render()
}

function profileCard(p: Profile): HTMLElement {
  return h(
    'button',
    { class: `profile${p.id === selected ? ' on' : ''}`, type: 'button', data: { profileId: p.id, profileEmail: p.email ?? '' }, on: { click: () => act(async () => { selected = p.id; openEmail = null; await refreshEmails() }) } },
    h('div', { class: 'em' }, p.email ?? '(no email)'),
    p.first_name ? h('div', null, p.first_name) : null,
    p.segment_anonymous_id
      ? h('div', { class: 'mono ok', title: 'properties.segment_anonymous_id, written by mailstitch at capture' }, 'segment_anonymous_id ', p.segment_anonymous_id)
      : h('div', { class: 'mono warn' }, 'no segment_anonymous_id: links will carry an empty token'),
    h('div', { class: 'muted' }, `Klaviyo id ${short(p.id, 10)} · ${p.lists.length ? 'subscribed to ' + p.lists.join(', ') : 'not on a list'} · ${p.emails} sent`),
  )
}

function linkExplainer(p: Profile): HTMLElement | null {
  const t = templates[0]
  const l = t?.links[0]
  if (!l) return null
  const rendered = l.template.replace(/\{\{[^}]*\}\}/, p.segment_anonymous_id ?? '')
  return h(
    'div',
    null,
    h('div', { class: 'muted', style: 'margin-top:10px' }, 'Links in the templates carry the bridge id with a Klaviyo template tag:'),
    h('div', { class: 'codebox mono' }, l.template),
    h('div', { class: 'muted' }, `which Klaviyo renders for ${p.email ?? 'this profile'} as`),
    h('div', { class: 'codebox mono', id: 'rendered-link' }, rendered),
  )
}

function emailRow(e: SentEmail): HTMLElement {
  const isOpen = e.id === openEmail
  return h(
    'div',
    { class: `mail${isOpen ? ' on' : ''}`, data: { emailId: e.id } },
    h('div', null, h('div', { class: 'subj' }, e.subject), h('div', { class: 'muted' }, `${e.kind === 'flow' ? 'Flow' : 'Campaign'} “${e.campaignName}” · sent ${clock(e.sentAt)} to ${e.to}`)),
    h(
      'div',
      null,
      h(
        'button',
        {
          class: 'b primary open-email',
          type: 'button',
          on: {
            click: () =>
              act(async () => {
                await postJson('/api/open', { id: e.id })
                openEmail = e.id
                await refreshEmails()
              }),
          },
        },
        // The email's own record says whether it was opened (also before a reload).
        e.opens ? 'Open again' : 'Open',
      ),
    ),
    h('div', { class: 'chips' }, h('span', null, 'Received'), e.opens ? h('span', null, `Opened ×${e.opens}`) : null, e.clicks ? h('span', null, `Clicked ×${e.clicks}`) : null),
  )
}

function viewer(e: SentEmail): HTMLElement {
  const seg = (d: 'same' | 'other', label: string, id: string) =>
    h('button', { class: d === device ? 'on' : '', type: 'button', id, on: { click: () => { device = d; render() } } }, label)
  return h(
    'div',
    { class: 'panel', style: 'margin-top:18px' },
    h('h2', null, 'The email'),
    h('div', null, h('b', null, e.subject), h('span', { class: 'muted' }, ` to ${e.to}`)),
    h('div', null, 'Clicking a link opens the store ', h('div', { class: 'seg' }, seg('same', `in this browser (${new URL(cfg.storeUrl).hostname})`, 'device-same'), seg('other', `on another device (${new URL(cfg.storeOtherUrl).hostname})`, 'device-other'))),
    h('div', { class: 'muted' }, device === 'other' ? 'The other host name has its own cookies, like a phone opening the email: a browser that has never seen this shopper.' : 'Same cookies as the tab where you subscribed.'),
    h('iframe', { class: 'email', id: 'email-frame', title: 'Email', src: `/email/${encodeURIComponent(e.id)}?device=${device}`, sandbox: 'allow-popups allow-popups-to-escape-sandbox' }),
  )
}

// Three regions; the email frame is only rebuilt when the email or the device choice changes,
// so the periodic refresh never reloads it under the reader's cursor.
const leftBox = h('div', { class: 'panel' })
const mainBox = h('div')
const viewerBox = h('div')
let viewerKey = ''

function render(): void {
  saveView()
  const p = profiles.find((x) => x.id === selected) ?? null
  mount(
    leftBox,
    h('h2', null, 'Klaviyo profiles'),
    profiles.length ? profiles.map(profileCard) : h('p', { class: 'muted' }, 'No profiles yet. Subscribe on the store (footer form or the "Get 10% off" popup) and the profile appears here.', h('br'), h('a', { href: cfg.storeUrl + '/', target: '_blank' }, 'Open the store')),
  )
  const right: HTMLElement[] = []
  const open = p ? emails.find((e) => e.id === openEmail) : undefined
  if (p) {
    right.push(
      h(
        'div',
        { class: 'panel' },
        h('h2', null, 'Send'),
        h('div', null, 'To ', h('b', null, p.email ?? '(no email)')),
        h(
          'div',
          { class: 'tpl' },
          templates.map((t) =>
            h(
              'button',
              {
                class: 'b',
                type: 'button',
                data: { template: t.key },
                disabled: !p.email,
                on: { click: () => act(async () => { await postJson<SentEmail>('/api/send', { profileId: p.id, template: t.key }); openEmail = null; await refreshEmails() }) },
              },
              `${t.kind === 'flow' ? 'Flow email' : 'Campaign'}: ${t.name}`,
            ),
          ),
        ),
        h(
          'label',
          { class: 'muted' },
          h('input', { type: 'checkbox', id: 'utm', checked: cfg.utm, on: { change: (ev) => act(async () => { cfg.utm = (await postJson<{ utm: boolean }>('/api/settings', { utm: (ev.target as HTMLInputElement).checked })).utm }) } }),
          ' Klaviyo UTM tracking (adds utm_source/utm_medium/utm_campaign to links)',
        ),
        linkExplainer(p),
        error ? h('div', { class: 'err' }, error) : null,
      ),
      h('div', { class: 'panel', style: 'margin-top:18px' }, h('h2', null, `Inbox of ${p.email ?? '?'}`), emails.length ? emails.map(emailRow) : h('p', { class: 'muted' }, 'Nothing sent yet.')),
    )
  } else if (error) {
    right.push(h('div', { class: 'err' }, error))
  }
  mount(mainBox, right)
  const key = open ? `${open.id}|${device}` : ''
  if (key !== viewerKey) {
    viewerKey = key
    mount(viewerBox, open ? viewer(open) : null)
  }
}

async function start(): Promise<void> {
  ;[cfg, templates] = await Promise.all([getJson<Config>('/api/config'), getJson<Template[]>('/api/templates')])
  status.textContent = `store ${cfg.storeUrl} · other device ${cfg.storeOtherUrl}`
  mount(app, h('div', { class: 'wrap' }, leftBox, h('div', null, mainBox, viewerBox)))
  restoreView()
  await refreshProfiles()
  render()
  setInterval(() => void refreshProfiles().catch(() => undefined), 2000)
}

void start().catch((e: unknown) => mount(app, h('div', { class: 'err' }, e instanceof Error ? e.message : String(e))))
