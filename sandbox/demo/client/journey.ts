/**
 * The journey viewer: per visitor, one timeline of web events and relayed Klaviyo email events,
 * stitch points, order attribution; next to it the same events as they would be keyed without
 * mailstitch. Refreshes every 2 s. All data is attacker-controlled in real life: it only ever
 * reaches the page as text nodes (see dom.ts).
 */
import type { Comparison, Device, Entry, Journey, Touch, Visitor } from '../../../src/journey/model'
import { visitorLabel } from '../../../src/journey/format'
import type { DroppedSummary, RelayStatus } from '../console'
import { clock, h, mount, type Child } from './dom'

interface JourneyResponse extends Comparison {
  generatedAt: string
  eventsFile: string | null
  storeUrl: string
  storeOtherUrl: string
  relay: RelayStatus
  skipped: number
  /** Events Segment answered 200 for and dropped (e.g. sent under a mistyped write key). */
  dropped: DroppedSummary
  canSendMistyped: boolean
}

const CSS = `
body{background:#eef0f4}
.summary{display:grid;grid-template-columns:1fr 1fr;gap:18px;margin-bottom:14px}
.sum{background:#fff;border-radius:12px;padding:14px 18px;box-shadow:0 1px 3px rgba(0,0,0,.08);border-top:5px solid #10b981;display:flex;gap:22px;align-items:center}
.sum.without{border-top-color:#ef4444}.sum h2{margin:0;font-size:15px;min-width:150px}.sum h2 small{display:block;font-weight:400;color:#6b7280;font-size:12px}
.stat{display:flex;flex-direction:column}.stat b{font-size:26px;line-height:1.1}.stat span{font-size:12px;color:#6b7280}
.stat.good b{color:#047857}.stat.bad b{color:#dc2626}
.legend{display:flex;gap:16px;flex-wrap:wrap;align-items:center;color:#4b5563;font-size:12px;margin:0 0 14px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;vertical-align:-1px}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:18px;align-items:start}
.col h3{margin:0 0 10px;font-size:13px;text-transform:uppercase;letter-spacing:.08em;color:#374151}
.visitor{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:14px;overflow:hidden;border:2px solid transparent}
.visitor.orphan{border-color:#fca5a5}.visitor.stranger{border-color:#fdba74}.visitor.stitched{border-color:#6ee7b7}
.vhead{padding:10px 14px;background:#f9fafb;border-bottom:1px solid #eef0f3}
.vid{font-weight:700;font-size:14px;word-break:break-all}.vid code{font:600 12px ui-monospace,Menlo,monospace;color:#374151}
.chips{margin-top:5px;display:flex;gap:6px;flex-wrap:wrap;align-items:center}
.chip{font-size:11px;border-radius:999px;padding:1px 8px;background:#e5e7eb;color:#111827;white-space:nowrap}
.chip.email{background:#ede9fe;color:#5b21b6}.chip.count{background:#f3f4f6;color:#4b5563}
.chip.dev{color:#111;font-weight:700}.chip.bad{background:#fee2e2;color:#991b1b;font-weight:700}.chip.warn{background:#ffedd5;color:#9a3412;font-weight:700}.chip.good{background:#d1fae5;color:#065f46;font-weight:700}
.note{font-size:12px;color:#6b7280;margin-top:4px}
.focus{font-size:11px;margin-left:auto}
ol.tl{list-style:none;margin:0;padding:6px 10px 10px 10px;position:relative}
ol.tl:before{content:"";position:absolute;left:82px;top:0;bottom:0;width:2px;background:#e5e7eb}
.row{display:grid;grid-template-columns:62px 18px 34px 1fr;gap:0 8px;align-items:center;padding:3px 0;cursor:pointer;position:relative}
.row .t{font:11px ui-monospace,Menlo,monospace;color:#6b7280;text-align:right}
.dot{width:11px;height:11px;border-radius:50%;background:#3b82f6;border:2px solid #fff;box-shadow:0 0 0 1px #cbd5e1;justify-self:center;z-index:1}
.row.relay .dot{background:#8b5cf6}.row.stitch .dot{background:#10b981;width:15px;height:15px}.row.order .dot{background:#f59e0b;width:15px;height:15px}
.dev{font:700 10px system-ui;border-radius:4px;padding:1px 4px;text-align:center}.src{font:700 9px system-ui;letter-spacing:.04em;color:#6d28d9;background:#f5f3ff;border-radius:4px;padding:1px 3px;text-align:center}.src.shop{color:#047857;background:#ecfdf5}
.what{min-width:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.what b{font-weight:600}.what .d{color:#4b5563;margin-left:6px}
.row.relay .what b{color:#5b21b6}.row.stitch .what b{color:#047857}.row.order .what b{color:#b45309}
.callout{margin:2px 0 6px 114px;font-size:12px;border-radius:8px;padding:6px 10px}
.callout.stitch{background:#ecfdf5;color:#065f46;border:1px solid #a7f3d0}
.callout.order{background:#fffbeb;color:#78350f;border:1px solid #fcd34d}.callout.order .v{font-weight:700}.callout.order .v.yes{color:#047857}.callout.order .v.no{color:#b91c1c}
pre.props{margin:2px 0 6px 114px;font:11px/1.4 ui-monospace,Menlo,monospace;background:#0f172a;color:#e2e8f0;border-radius:6px;padding:8px;white-space:pre-wrap;word-break:break-all;max-height:260px;overflow:auto}
.empty{background:#fff;border-radius:12px;padding:24px;text-align:center;color:#4b5563}
.foot{color:#6b7280;font-size:12px;margin-top:8px}`

const app = document.getElementById('app')!
const status = document.getElementById('status')!
document.head.appendChild(h('style', null, CSS))

const params = new URLSearchParams(location.search)
const focus = params.get('visitor')
const open = new Set<string>()
let data: JourneyResponse | null = null
let lastText = ''

const PALETTE = ['#fbbf24', '#7dd3fc', '#c4b5fd', '#fca5a5', '#86efac', '#f9a8d4']
function deviceColor(d: Device | undefined, i: number): string {
  // Same colours as the store's strip: 127.0.0.1 amber ("this browser"), localhost sky ("another device").
  if (d?.host?.startsWith('127.0.0.1')) return PALETTE[0]!
  if (d?.host?.startsWith('localhost')) return PALETTE[1]!
  return PALETTE[(i + 2) % PALETTE.length]!
}

/** A row without a device: badged by where it came from (a Klaviyo email event, a Shopify order path), else blank. */
function sourceBadge(source: string): HTMLElement {
  if (source === 'relay') return h('span', { class: 'src', title: 'Klaviyo email event, relayed to Segment by mailstitch' }, 'KLAV')
  if (source === 'shopify') return h('span', { class: 'src shop', title: "Shopify order: from the relay's orders/create webhook or the web pixel" }, 'SHOP')
  return h('span')
}

function devChip(id: string, devices: Device[], withHost: boolean): HTMLElement {
  const i = devices.findIndex((d) => d.id === id)
  const d = devices[i]
  // Both host names share the store's port: the host name alone tells the devices apart.
  const host = (d?.host ?? '').replace(/:\d+$/, '')
  const label = withHost && d ? `${id} ${host}${d.browser ? ' · ' + d.browser : ''}` : id
  return h('span', { class: withHost ? 'chip dev' : 'dev', style: `background:${deviceColor(d, i)}`, title: d ? `${d.host ?? '?'} ${d.browser ?? ''}` : id }, label)
}

function touchText(t: Touch | undefined): string {
  if (!t) return 'none'
  const how = t.via === 'email-click' ? 'email click' : t.via === 'link-landing' ? 'email link' : t.via === 'utm' ? (t.channel === 'email' ? 'email, by UTM only' : `${t.channel} (UTM)`) : t.via === 'referrer' ? `referral (${t.referrer ?? '?'})` : 'direct visit'
  return `${how}${t.campaign ? ` “${t.campaign}”` : ''} at ${clock(t.time)}`
}

function row(e: Entry, devices: Device[], col: string): Child[] {
  const key = `${col}:${e.id}`
  const cls = ['row', e.source, e.stitch ? 'stitch' : '', e.order ? 'order' : ''].filter(Boolean).join(' ')
  const out: Child[] = [
    h(
      'li',
      {
        class: cls,
        title: 'Click for the event’s properties',
        data: { entry: e.id, title: e.title },
        on: {
          click: () => {
            if (open.has(key)) open.delete(key)
            else open.add(key)
            render()
          },
        },
      },
      h('span', { class: 't' }, clock(e.time)),
      h('span', { class: 'dot' }),
      e.device ? devChip(e.device, devices, false) : sourceBadge(e.source),
      h('span', { class: 'what' }, h('b', null, e.stitch ? `★ ${e.title}` : e.order ? `$ ${e.title}` : e.title), e.detail ? h('span', { class: 'd' }, e.detail) : null),
    ),
  ]
  if (e.stitch) out.push(h('div', { class: 'callout stitch' }, e.stitch.label))
  if (e.order) {
    const o = e.order
    const verdict = o.emailClick ? h('span', { class: 'v yes' }, 'credited to the email click') : o.email.last ? h('span', { class: 'v no' }, 'email by UTM only: the click itself is orphaned') : h('span', { class: 'v no' }, 'not credited to email')
    out.push(h('div', { class: 'callout order' }, h('div', null, 'First touch: ', h('b', null, touchText(o.firstTouch))), h('div', null, 'Last touch: ', h('b', null, touchText(o.lastTouch))), h('div', null, '→ ', verdict)))
  }
  if (open.has(key)) out.push(h('pre', { class: 'props' }, JSON.stringify({ messageId: e.id, type: e.type, anonymousId: e.anonymousId, userId: e.userId, properties: e.properties }, null, 2)))
  return out
}

function visitorCard(v: Visitor, j: Journey, col: 'with' | 'without'): HTMLElement {
  const orphan = v.orphanedEmailEvents > 0
  const stranger = !!v.note && v.note.startsWith('a stranger')
  const stitched = col === 'with' && v.stitches.length > 0
  const cls = ['visitor', orphan ? 'orphan' : '', stranger ? 'stranger' : '', stitched ? 'stitched' : ''].filter(Boolean).join(' ')
  const label = visitorLabel(v)
  return h(
    'article',
    { class: cls, data: { visitor: v.id, card: col } },
    h(
      'div',
      { class: 'vhead' },
      h('div', { class: 'vid', title: v.id }, label.startsWith('anonymousId ') ? ['Visitor ', h('code', null, v.id)] : label),
      h(
        'div',
        { class: 'chips' },
        orphan ? h('span', { class: 'chip bad' }, `ORPHANED · ${v.orphanedEmailEvents} email event${v.orphanedEmailEvents === 1 ? '' : 's'}`) : null,
        stranger ? h('span', { class: 'chip warn' }, 'STRANGER') : null,
        stitched ? h('span', { class: 'chip good' }, `STITCHED · ${v.stitches.length} stitch point${v.stitches.length === 1 ? '' : 's'}`) : null,
        v.emails.map((e) => h('span', { class: 'chip email' }, e)),
        v.devices.map((d) => devChip(d, j.devices, true)),
        h('span', { class: 'chip count' }, `${v.siteEvents} site · ${v.emailEvents} email`),
        col === 'with' && !focus && data && data.with.visitors.length > 1 ? h('a', { class: 'focus', href: `?visitor=${encodeURIComponent(v.id)}` }, 'focus') : null,
      ),
      v.note ? h('div', { class: 'note' }, v.note) : null,
    ),
    h('ol', { class: 'tl' }, v.entries.map((e) => row(e, j.devices, col))),
  )
}

function stat(n: string | number, label: string, tone: 'good' | 'bad' | '' = ''): HTMLElement {
  return h('div', { class: `stat ${tone}` }, h('b', null, String(n)), h('span', null, label))
}

function summary(j: Journey, col: 'with' | 'without'): HTMLElement {
  const t = j.totals
  const good = col === 'with'
  return h(
    'div',
    { class: `sum ${col}`, data: { summary: col } },
    h('h2', null, good ? 'With mailstitch' : 'Without mailstitch', h('small', null, good ? 'as the events reached Segment' : 'same events, keyed as Segment and Klaviyo send them alone')),
    stat(t.visitors, t.visitors === 1 ? 'visitor' : 'visitors'),
    stat(t.orphanedEmailEvents, `orphaned of ${t.emailEvents} email events`, t.orphanedEmailEvents ? 'bad' : 'good'),
    stat(`${t.emailClickOrders}/${t.orders}`, 'orders credited to an email click', t.orders ? (t.emailClickOrders === t.orders ? 'good' : 'bad') : ''),
  )
}

function related(j: Journey, ids: Set<string>): Visitor[] {
  return j.visitors.filter((v) => v.entries.some((e) => ids.has(e.id)))
}

function render(): void {
  if (!data) return
  const d = data
  if (!d.with.totals.events) {
    mount(
      app,
      h('div', { class: 'empty' }, h('h2', null, 'No events yet'), h('p', null, 'Open the store, browse, subscribe; every Segment event will show up here.'), h('p', null, h('a', { href: d.storeUrl + '/', target: '_blank' }, d.storeUrl))),
    )
    return
  }
  let withV = d.with.visitors
  let withoutV = d.without.visitors
  if (focus) {
    withV = withV.filter((v) => v.id === focus)
    withoutV = related(d.without, new Set(withV.flatMap((v) => v.entries.map((e) => e.id))))
  } else {
    // Most interesting first: stitched or with orders, then the most recent.
    const score = (v: Visitor) => (v.stitches.length ? 2 : 0) + (v.orders.length ? 1 : 0)
    const last = (v: Visitor) => v.entries[v.entries.length - 1]?.time ?? 0
    withV = [...withV].sort((a, b) => score(b) - score(a) || last(b) - last(a))
  }
  mount(
    app,
    h('div', { class: 'summary' }, summary(d.with, 'with'), summary(d.without, 'without')),
    h(
      'div',
      { class: 'legend' },
      h('span', null, h('i', { style: 'background:#3b82f6' }), 'site event (analytics.js)'),
      h('span', null, h('i', { style: 'background:#8b5cf6' }), 'Klaviyo email event, via the relay'),
      h('span', null, h('i', { style: 'background:#10b981' }), 'stitch point'),
      h('span', null, h('i', { style: 'background:#f59e0b' }), 'order'),
      d.with.devices.map((x) => devChip(x.id, d.with.devices, true)),
      focus ? h('a', { href: location.pathname }, 'show all visitors') : null,
    ),
    h(
      'div',
      { class: 'cols' },
      h('section', { class: 'col', data: { col: 'with' } }, h('h3', null, 'With mailstitch'), withV.map((v) => visitorCard(v, d.with, 'with'))),
      h('section', { class: 'col', data: { col: 'without' } }, h('h3', null, 'Without mailstitch'), withoutV.map((v) => visitorCard(v, d.without, 'without'))),
    ),
    h(
      'div',
      { class: 'foot' },
      `Without mailstitch: email events keyed by the Klaviyo profile (as Klaviyo sends them), a device that opened an email link keeps its own anonymousId, and mailstitch's own ${d.unstitched.dropped} events are left out. `,
      `Last touch is the last non-direct touch before the order. ${d.with.totals.events} events`,
      d.eventsFile && !d.eventsFile.startsWith('..') && !d.eventsFile.startsWith('/') ? ` in ${d.eventsFile}` : '',
      d.skipped ? ` · ${d.skipped} unusable events skipped` : '',
      ' · ',
      h('a', { href: '/api/events.jsonl' }, 'download events.jsonl'),
    ),
    droppedPanel(d),
  )
}

/**
 * Segment's silent drops: a request under a mistyped write key is answered 200 {"success":true}
 * and its events never arrive. The panel shows them, and lets you send some.
 */
function droppedPanel(d: JourneyResponse): HTMLElement | null {
  if (!d.dropped.total && !d.canSendMistyped) return null
  const reasons = Object.entries(d.dropped.byReason).map(([r, n]) => `${n} × ${r}`).join(', ')
  const button = d.canSendMistyped ? h('button', { type: 'button', data: { action: 'mistyped' } }, 'Relay with a mistyped write key') : null
  button?.addEventListener('click', () => {
    button.setAttribute('disabled', '')
    void fetch('/api/mistyped-key', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      .then(() => refresh())
      .finally(() => button.removeAttribute('disabled'))
  })
  return h(
    'div',
    { class: 'foot dropped', data: { dropped: String(d.dropped.total) } },
    h('b', null, `Dropped by Segment: ${d.dropped.total} event${d.dropped.total === 1 ? '' : 's'}`),
    reasons ? ` (${reasons})` : '',
    '. Segment answered each request 200 {"success":true}: the relay counted them as sent. Only the source debugger shows they never arrived; run mailstitch relay check before going live. ',
    button,
  )
}

function showStatus(): void {
  if (!data) return
  const r = data.relay
  const relay = r.lastError ? `relay: ${r.lastError}` : r.running ? `relay polling every ${r.intervalSeconds} s · ${r.sent} email events relayed${r.lastPollAt ? ` · last poll ${clock(r.lastPollAt)}` : ''}` : 'relay stopped'
  const dropped = data.dropped.total ? ` · ${data.dropped.total} dropped by Segment` : ''
  status.textContent = `${relay}${dropped} · updated ${clock(data.generatedAt)}`
}

async function refresh(): Promise<void> {
  const r = await fetch('/api/journey', { cache: 'no-store' })
  const text = await r.text()
  data = JSON.parse(text) as JourneyResponse
  showStatus()
  // Re-render only when the journey changed (generatedAt and relay status always do).
  const key = JSON.stringify([data.with, data.without, data.dropped])
  if (key === lastText) return
  lastText = key
  render()
  document.body.dataset.events = String(data.with.totals.events)
}

void refresh().catch((e: unknown) => mount(app, h('div', { class: 'empty' }, e instanceof Error ? e.message : String(e))))
setInterval(() => void refresh().catch(() => undefined), 2000)
