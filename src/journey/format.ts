/**
 * Terminal rendering of a {@link Comparison}: the same timelines, stitch points and attribution
 * as the journey viewer, as plain lines (optionally coloured). Every value from the data goes
 * through {@link clean}, so an event property cannot move the cursor, recolour the terminal or
 * reorder text (control characters and bidi overrides are shown escaped).
 */
import { NEW_ID_PREFIX, type Comparison, type Entry, type Journey, type Touch, type Visitor } from './model'

/** Options of the terminal formatting. */
export interface FormatOptions {
  /** ANSI colours (default false). */
  color?: boolean
  /** Label for the input (file name). */
  source?: string
  /** Only these views (default both). */
  views?: Array<'with' | 'without'>
  /** Only the visitor with this id (with view), and the visitors of its events (without view). */
  visitor?: string
}

/** Make untrusted text safe for a terminal line. */
export function clean(v: unknown, max = 160): string {
  let s = String(v ?? '')
  // C0/C1 controls (ESC, CR, BEL, …), DEL, and Unicode bidi/isolate overrides.
  s = s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
  return s.length > max ? s.slice(0, max - 1) + '…' : s
}

const ANSI = { dim: '2', bold: '1', red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', cyan: '36' } as const
type Style = keyof typeof ANSI

function painter(on: boolean) {
  return (s: string, ...styles: Style[]) => (on && styles.length ? `\u001b[${styles.map((x) => ANSI[x]).join(';')}m${s}\u001b[0m` : s)
}

/** `HH:MM:SS` (UTC). */
function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19)
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`
}

/** One touch in words. */
function touchText(t: Touch | undefined): string {
  if (!t) return 'none'
  const how: Record<Touch['via'], string> = {
    'email-click': 'email click',
    'link-landing': 'email link landing',
    utm: t.channel === 'email' ? 'email (UTM only)' : `${t.channel} (UTM)`,
    referrer: `referral from ${t.referrer ?? '?'}`,
    'new-visit': 'direct visit',
  }
  return `${how[t.via]}${t.campaign ? `, ${t.campaign}` : ''} at ${clock(t.time)}`
}

/** How a visitor id reads: a never-sent id is said to be one. */
export function visitorLabel(v: Pick<Visitor, 'id' | 'keyedBy'>): string {
  if (v.id.startsWith(NEW_ID_PREFIX)) return 'a new anonymousId (never sent)'
  if (v.keyedBy === 'klaviyo') return `Klaviyo profile ${v.id.slice('klaviyo:'.length)}`
  if (v.keyedBy === 'email') return `email ${v.id.slice('email:'.length)}`
  if (v.keyedBy === 'userId') return `userId ${v.id.slice('user:'.length)}`
  return `anonymousId ${v.id}`
}

function summary(j: Journey): string {
  const t = j.totals
  return [
    plural(t.visitors, 'visitor'),
    `${plural(t.emailEvents, 'email event')}, ${t.orphanedEmailEvents} orphaned`,
    `${plural(t.orders, 'order')}: ${t.emailClickOrders} after an email click, ${t.emailLastTouch} last-touch email`,
  ].join(' · ')
}

/** Visitors of `j` sharing an entry with `ids`. */
function related(j: Journey, ids: Set<string>): Visitor[] {
  return j.visitors.filter((v) => v.entries.some((e) => ids.has(e.id)))
}

function entryLines(e: Entry, paint: ReturnType<typeof painter>): string[] {
  const mark = e.stitch ? '★' : e.order ? '$' : ' '
  const srcLabel = (e.source === 'relay' ? 'klaviyo' : e.source).padEnd(7)
  const src = paint(srcLabel, e.source === 'relay' ? 'magenta' : e.source === 'site' ? 'blue' : e.source === 'shopify' ? 'cyan' : 'dim')
  const title = clean(e.title, 40).padEnd(20)
  const shown = e.stitch ? paint(title, 'green', 'bold') : e.order ? paint(title, 'yellow', 'bold') : title
  const line = `  ${paint(clock(e.time), 'dim')}  ${(e.device ?? '').padEnd(3)} ${src} ${mark} ${shown} ${clean(e.detail ?? '', 110)}`
  const out = [line.replace(/\s+$/, '')]
  if (e.stitch) out.push(`${' '.repeat(24)}${paint('↳ stitch: ' + clean(e.stitch.label, 200), 'green')}`)
  if (e.order) {
    const o = e.order
    const verdict = o.emailClick ? paint('credited to email', 'green', 'bold') : o.email.last ? paint('email by UTM only', 'yellow') : paint('not credited to email', 'red')
    out.push(`${' '.repeat(24)}${paint('↳ first touch: ', 'yellow')}${clean(touchText(o.firstTouch))}${paint(' · last touch: ', 'yellow')}${clean(touchText(o.lastTouch))} → ${verdict}`)
  }
  return out
}

function visitorLines(v: Visitor, paint: ReturnType<typeof painter>): string[] {
  const head = [
    paint('●', v.orphanedEmailEvents ? 'red' : 'cyan'),
    paint(clean(visitorLabel(v)), 'bold'),
    v.emails.length ? clean(v.emails.join(', ')) : '',
    v.devices.length ? v.devices.join(' ') : '',
    `${v.siteEvents} site + ${v.emailEvents} email events`,
  ].filter(Boolean)
  const out = [head.join('  ')]
  if (v.orphanedEmailEvents) out.push(`  ${paint(`ORPHANED: ${plural(v.orphanedEmailEvents, 'email event')} no browsing joins to`, 'red', 'bold')}`)
  if (v.note) out.push(`  ${paint(clean(v.note, 240), 'dim')}`)
  for (const e of v.entries) out.push(...entryLines(e, paint))
  return out
}

/** The comparison as terminal lines. */
export function formatComparison(c: Comparison, o: FormatOptions = {}): string[] {
  const paint = painter(!!o.color)
  const views = o.views ?? ['with', 'without']
  const out: string[] = []
  const devices = c.with.devices.map((d) => `${d.id} ${clean(d.host ?? '?', 60)}${d.browser ? ' ' + clean(d.browser, 40) : ''}`).join(' · ')
  out.push(`${paint('mailstitch journey', 'bold')}${o.source ? ' · ' + clean(o.source, 200) : ''} · ${plural(c.with.totals.events, 'event')} · times in UTC`)
  if (devices) out.push(`devices: ${devices}`)
  let withVisitors = c.with.visitors
  let withoutVisitors = c.without.visitors
  if (o.visitor) {
    withVisitors = withVisitors.filter((v) => v.id === o.visitor)
    const ids = new Set(withVisitors.flatMap((v) => v.entries.map((e) => e.id)))
    withoutVisitors = related(c.without, ids)
  }
  if (views.includes('with')) {
    out.push('', `${paint('WITH MAILSTITCH', 'bold', 'green')}  ${summary(c.with)}`)
    for (const v of withVisitors) out.push('', ...visitorLines(v, paint))
    if (!withVisitors.length) out.push('', '  (no visitor)')
  }
  if (views.includes('without')) {
    out.push(
      '',
      `${paint('WITHOUT MAILSTITCH', 'bold', 'red')}  ${summary(c.without)}`,
      paint(`the same events keyed only by what Segment and Klaviyo send on their own (mailstitch's own ${plural(c.unstitched.dropped, 'event')} left out)`, 'dim'),
    )
    for (const v of withoutVisitors) out.push('', ...visitorLines(v, paint))
    if (!withoutVisitors.length) out.push('', '  (no visitor)')
  }
  return out
}
