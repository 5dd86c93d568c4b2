/** Devices (browsers) in site events, numbered in order of first appearance, keyed by page host + user agent. */
import { recordOf as rec } from '../shared/json'
import { byTime, str, type JEvent } from './events'

/** A browser/device seen in site events (global numbering, shared by both views). */
export interface Device {
  /** `D1`, `D2`, … in order of first appearance. */
  id: string
  /** Host of the pages (e.g. `shop.example` or `localhost:8780`). */
  host?: string
  /** Browser and major version from the user agent (e.g. `Chrome 131`). */
  browser?: string
}

/** Numbered devices, keyed by page host + user agent. */
export class DeviceRegistry {
  private readonly byKey = new Map<string, Device>()

  constructor(events: readonly JEvent[] = []) {
    for (const e of [...events].sort(byTime)) this.of(e)
  }

  /** The device of a site event (registering it), or undefined for events without a page. */
  of(e: JEvent): Device | undefined {
    if (e.source !== 'site') return undefined
    const host = pageHost(e)
    const ua = str(e.context.userAgent) ?? ''
    if (!host && !ua) return undefined
    const key = `${host ?? ''}|${ua}`
    let d = this.byKey.get(key)
    if (!d) {
      d = { id: `D${this.byKey.size + 1}` }
      if (host) d.host = host
      const browser = browserOf(ua)
      if (browser) d.browser = browser
      this.byKey.set(key, d)
    }
    return d
  }

  /** Every device so far, in numbering order. */
  list(): Device[] {
    return [...this.byKey.values()]
  }
}

/** Host (with port) of an event's page. */
export function pageHost(e: JEvent): string | undefined {
  const url = str(rec(e.context.page).url) ?? str(e.properties.url)
  if (!url) return undefined
  try {
    return new URL(url).host || undefined
  } catch {
    return undefined
  }
}

/** `Chrome 131`, `Firefox 128`, `Safari 17`, … from a user agent. */
export function browserOf(ua: string): string | undefined {
  const m =
    /(Edg|OPR|Firefox|HeadlessChrome|Chrome|CriOS|FxiOS)\/(\d+)/.exec(ua) ??
    (/Version\/(\d+).*Safari\//.test(ua) ? ['', 'Safari', /Version\/(\d+)/.exec(ua)![1]] : null)
  if (!m) return undefined
  const names: Record<string, string> = { Edg: 'Edge', OPR: 'Opera', HeadlessChrome: 'Chrome', CriOS: 'Chrome', FxiOS: 'Firefox' }
  const os = /iPhone|iPad/.test(ua) ? ' (iOS)' : /Android/.test(ua) ? ' (Android)' : ''
  return `${names[m[1]!] ?? m[1]} ${m[2]}${os}`
}

/** Every host the site events' pages were on, in order of first appearance. */
export function siteHostsOf(events: readonly JEvent[]): string[] {
  const hosts = new Set<string>()
  for (const e of events) {
    const host = e.source === 'site' ? pageHost(e) : undefined
    if (host) hosts.add(host)
  }
  return [...hosts]
}
