/**
 * The demo console: the email simulator (`/inbox`), the journey viewer (`/journey`), their JSON
 * APIs, the rendered emails (`/email/<id>`) and the click tracker (`/t/c/<id>/<link>`), which
 * records `Clicked Email` and redirects to the store, on this browser's host name or the other
 * one ("another device"), as Klaviyo's tracking links redirect after counting a click.
 *
 * Pages are static shells plus bundled scripts that build the DOM with textContent; a strict
 * Content-Security-Policy (no inline script) backs that up.
 */
import type http from 'node:http'
import type { SegmentCollector } from '../segment-collector'
import type { KlaviyoStore } from '../klaviyo-emulator'
import { compareJourneys } from '../../src/journey/model'
import { readEvents } from '../../src/journey/events'
import { emailHtml, type Mailer } from './mailer'
import { STORE_NAME } from './catalog'
import { html, raw, type Html } from './html'
import type { ContactPost } from './store'

export interface ConsoleConfig {
  collector: SegmentCollector
  store: KlaviyoStore
  mailer: Mailer
  /** Store origin on 127.0.0.1 ("this browser") and on localhost ("another device"). */
  storeUrl: string
  storeOtherUrl: string
  /** Where the collector writes JSON lines (shown in the viewer). */
  eventsFile?: string
  clientJs: (name: 'inbox' | 'journey') => string
  posts: ContactPost[]
  relayStatus: () => RelayStatus
  /**
   * Run one poll of a second relay whose Segment write key has a typo. Segment answers its
   * requests `200 {"success":true}` and drops the events (rules.ts in sandbox/segment cites why),
   * so the relay reports them as sent; the viewer shows them as dropped.
   */
  mistypedKeyRelay?: () => Promise<{ sent: number; writeKey: string }>
}

/** Events the collector dropped (Segment answered 200 and kept nothing), by reason. */
export interface DroppedSummary {
  total: number
  byReason: Record<string, number>
}

function droppedSummary(rejected: ReadonlyArray<{ reason: string }>): DroppedSummary {
  const byReason: Record<string, number> = {}
  for (const r of rejected) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1
  return { total: rejected.length, byReason }
}

export interface RelayStatus {
  running: boolean
  intervalSeconds: number
  polls: number
  sent: number
  lastPollAt?: string
  lastError?: string
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
const EMAIL_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

const SHELL_CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111827;background:#f4f5f7}
header.top{display:flex;align-items:center;gap:18px;background:#111827;color:#f9fafb;padding:12px 22px}
header.top .brand{font-weight:700;letter-spacing:.02em}header.top .brand span{color:#a78bfa}header.top nav a{color:#cbd5e1;text-decoration:none;margin-right:14px}
header.top nav a.on{color:#fff;border-bottom:2px solid #a78bfa;padding-bottom:2px}header.top .right{margin-left:auto;color:#9ca3af;font-size:12px}
#app{padding:18px 22px}`

function shell(title: string, active: 'inbox' | 'journey' | 'home', body: Html, script?: 'inbox' | 'journey'): string {
  const link = (href: string, label: string, on: boolean) => html`<a href="${href}" class="${on ? 'on' : ''}">${label}</a>`
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · mailstitch demo</title>
<style>${raw(SHELL_CSS)}</style>${script ? html`<script src="/assets/${script}.js" defer></script>` : ''}</head>
<body><header class="top"><div class="brand">mail<span>stitch</span> demo</div><nav>${link('/', 'Start', active === 'home')}${link('/inbox', 'Email simulator', active === 'inbox')}${link('/journey', 'Journey viewer', active === 'journey')}</nav><div class="right" id="status"></div></header>
<div id="app">${body}</div></body></html>`.value
}

function home(c: ConsoleConfig): string {
  const step = (n: number, text: Html) => html`<li style="margin:8px 0"><b>${n}.</b> ${text}</li>`
  return shell(
    'Start',
    'home',
    html`<div style="max-width:760px;background:#fff;border-radius:10px;padding:24px 28px;box-shadow:0 1px 3px rgba(0,0,0,.08)">
<h1 style="margin-top:0">Walk one shopper's journey</h1>
<ol style="list-style:none;padding:0">
${step(1, html`Open the store <a href="${c.storeUrl}/" target="_blank">${c.storeUrl}</a> (this browser, "device 1") and browse a product or two.`)}
${step(2, html`Subscribe with the footer form (or the "Get 10% off" popup). mailstitch identifies the visitor in Segment and writes the anonymousId to the Klaviyo profile.`)}
${step(3, html`In the <a href="/inbox">email simulator</a>, pick the profile and send a campaign; open it.`)}
${step(4, html`Click a link with "another device" selected: it opens <code>${c.storeOtherUrl}</code>, a host name with its own cookies, like a phone.`)}
${step(5, html`Browse on, add to cart, place the order.`)}
${step(6, html`Watch it in the <a href="/journey">journey viewer</a>: one visitor, both devices, the email events in line, the order attributed to the email; next to it, the same data without mailstitch.`)}
</ol><p style="color:#6b7280">Everything runs on this machine: a Segment collector, a Klaviyo emulator, the relay polling it every 2 s. Events are written as JSON lines${c.eventsFile ? html` to <code>${c.eventsFile}</code>` : ''}.</p></div>`,
  )
}

async function readJson(req: http.IncomingMessage, limit = 16 * 1024): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const ch of req) {
    size += (ch as Buffer).length
    if (size > limit) return null
    chunks.push(ch as Buffer)
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/** The profile fields the simulator shows. */
function profileSummary(store: KlaviyoStore, mailer: Mailer) {
  return store
    .listProfiles()
    .map((p) => ({
      id: p.id,
      email: p.email,
      first_name: p.first_name,
      external_id: p.external_id,
      segment_anonymous_id: typeof p.properties.segment_anonymous_id === 'string' ? p.properties.segment_anonymous_id : null,
      lists: Object.keys(p.lists),
      created: p.created,
      emails: mailer.list(p.id).length,
    }))
    .reverse()
}

/** The URL a tracked click lands on: the store on this host name, or on the other one. */
export function deviceUrl(url: string, device: string, storeUrl: string, storeOtherUrl: string): string {
  if (device !== 'other') return url
  try {
    const u = new URL(url)
    const main = new URL(storeUrl)
    if (u.host !== main.host) return url
    const other = new URL(storeOtherUrl)
    u.host = other.host
    return u.toString()
  } catch {
    return url
  }
}

export function consoleHandler(c: ConsoleConfig) {
  return async (req: http.IncomingMessage, res: http.ServerResponse, host: string): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${host}`)
    const p = url.pathname
    const method = req.method ?? 'GET'
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' }
    const send = (status: number, body: string, type: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers, 'content-type': type, ...extra })
      res.end(body)
    }
    const page = (body: string) => send(200, body, 'text/html; charset=utf-8', { 'content-security-policy': CSP })
    const json = (status: number, v: unknown) => send(status, JSON.stringify(v), 'application/json; charset=utf-8')

    if (method === 'POST') {
      // JSON only: a cross-site form cannot send it without a CORS preflight, which we never grant.
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return json(415, { error: 'send application/json' })
      const body = await readJson(req)
      if (!body) return json(400, { error: 'invalid JSON body' })
      try {
        if (p === '/api/send') {
          const sent = await c.mailer.send(String(body.profileId ?? ''), String(body.template ?? ''))
          return json(200, sent)
        }
        if (p === '/api/open') return json(200, c.mailer.open(String(body.id ?? '')))
        if (p === '/api/mistyped-key' && c.mistypedKeyRelay) {
          const run = await c.mistypedKeyRelay()
          return json(200, { ...run, segmentAnswered: '200 {"success":true}', dropped: droppedSummary(c.collector.rejected()) })
        }
        if (p === '/api/settings') {
          if (typeof body.utm === 'boolean') c.mailer.utm = body.utm
          return json(200, { utm: c.mailer.utm })
        }
      } catch (err) {
        return json(400, { error: err instanceof Error ? err.message : String(err) })
      }
      return json(404, { error: 'not found' })
    }
    if (method !== 'GET' && method !== 'HEAD') return json(405, { error: 'method not allowed' })

    if (p === '/') return page(home(c))
    if (p === '/inbox') return page(shell('Email simulator', 'inbox', html``, 'inbox'))
    if (p === '/journey') return page(shell('Journey viewer', 'journey', html``, 'journey'))
    if (p === '/assets/inbox.js') return send(200, c.clientJs('inbox'), 'application/javascript; charset=utf-8')
    if (p === '/assets/journey.js') return send(200, c.clientJs('journey'), 'application/javascript; charset=utf-8')
    if (p === '/favicon.ico') return send(204, '', 'text/plain')

    if (p === '/api/profiles') return json(200, profileSummary(c.store, c.mailer))
    if (p === '/api/templates') return json(200, c.mailer.templates().map((t) => ({ key: t.key, kind: t.kind, name: t.name, flowName: t.flowName ?? null, subject: t.subject, links: t.links.map((l) => ({ label: l.label, template: c.mailer.linkTemplate(l.path) })) })))
    if (p === '/api/emails') return json(200, c.mailer.list(url.searchParams.get('profile') ?? undefined))
    if (p === '/api/config') return json(200, { storeUrl: c.storeUrl, storeOtherUrl: c.storeOtherUrl, utm: c.mailer.utm, storeName: STORE_NAME, eventsFile: c.eventsFile ?? null })
    if (p === '/api/journey') {
      const { events, problems } = readEvents(c.collector.events())
      return json(200, {
        generatedAt: new Date().toISOString(),
        eventsFile: c.eventsFile ?? null,
        storeUrl: c.storeUrl,
        storeOtherUrl: c.storeOtherUrl,
        relay: c.relayStatus(),
        skipped: problems.length,
        dropped: droppedSummary(c.collector.rejected()),
        canSendMistyped: !!c.mistypedKeyRelay,
        ...compareJourneys(events),
      })
    }
    if (p === '/api/events.jsonl') {
      const list = c.collector.events()
      return send(200, list.map((e) => JSON.stringify(e)).join('\n') + (list.length ? '\n' : ''), 'application/x-ndjson', { 'content-disposition': 'attachment; filename="events.jsonl"' })
    }
    let m = /^\/email\/([A-Za-z0-9]+)$/.exec(p)
    if (m) {
      const sent = c.mailer.get(m[1]!)
      if (!sent) return send(404, 'no such email', 'text/plain; charset=utf-8')
      const device = url.searchParams.get('device') === 'other' ? 'other' : 'same'
      const body = emailHtml(sent, (i) => `/t/c/${sent.id}/${i}?device=${device}`).value
      return send(200, body, 'text/html; charset=utf-8', { 'content-security-policy': EMAIL_CSP })
    }
    m = /^\/t\/c\/([A-Za-z0-9]+)\/(\d{1,3})$/.exec(p)
    if (m) {
      try {
        const { url: dest } = c.mailer.click(m[1]!, Number(m[2]))
        const target = deviceUrl(dest, url.searchParams.get('device') ?? 'same', c.storeUrl, c.storeOtherUrl)
        res.writeHead(302, { ...headers, location: target })
        res.end()
      } catch (err) {
        send(404, err instanceof Error ? err.message : 'not found', 'text/plain; charset=utf-8')
      }
      return
    }
    json(404, { error: `not found: ${p}` })
  }
}
