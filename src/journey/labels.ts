/** What a timeline row says: titles and details of events, and the labels of stitch points. */
import { EMAIL_BOUNCED, EMAIL_CAPTURED, EMAIL_DELIVERED, EMAIL_LINK_CLICKED, EMAIL_LINK_LANDED, EMAIL_MARKED_AS_SPAM, EMAIL_OPENED, UNSUBSCRIBED, VISITOR_LINKED } from '../shared/email-events'
import { recordOf as rec } from '../shared/json'
import { campaignOf } from './attribution'
import type { Device } from './devices'
import { emailOf, numberOf, str, type JEvent } from './events'

/** A point where mailstitch joined identities. */
type StitchKind = 'email-captured' | 'link-adopted' | 'link-same' | 'link-kept' | 'visitor-linked'

/** A stitch point with its human label. */
export interface Stitch {
  kind: StitchKind
  label: string
}

function pathOf(e: JEvent): string | undefined {
  const page = rec(e.context.page)
  const path = str(page.path) ?? str(e.properties.path)
  if (path) return path
  const url = str(page.url) ?? str(e.properties.url)
  if (!url) return undefined
  try {
    return new URL(url).pathname
  } catch {
    return undefined
  }
}

function money(v: unknown, currency?: string): string | undefined {
  const n = numberOf(v)
  if (n === undefined) return undefined
  return `${n.toFixed(2)}${currency ? ' ' + currency : ''}`
}

function linkPath(u: string | undefined): string | undefined {
  if (!u) return undefined
  try {
    const url = new URL(u)
    return url.pathname + (url.hash || '')
  } catch {
    return u
  }
}

/** Title and one-line detail of an event, for a timeline row. */
export function describe(e: JEvent): { title: string; detail?: string } {
  const p = e.properties
  const join = (...xs: (string | undefined)[]) => xs.filter(Boolean).join(' · ') || undefined
  if (e.type === 'page' || e.type === 'screen') {
    const c = campaignOf(e)
    const utm = c ? `utm ${[c.source, c.medium, c.name].filter(Boolean).join(' / ')}` : undefined
    return { title: e.type === 'page' ? 'Page' : 'Screen', detail: join(pathOf(e) ?? e.name, utm) }
  }
  if (e.type === 'identify') return { title: 'Identify', detail: join(emailOf(e), e.userId && `userId ${e.userId}`) }
  if (e.type !== 'track') return { title: e.type[0]!.toUpperCase() + e.type.slice(1) }
  const name = e.event ?? 'track'
  switch (name) {
    case EMAIL_DELIVERED:
    case EMAIL_OPENED:
    case EMAIL_BOUNCED:
    case EMAIL_MARKED_AS_SPAM:
    case UNSUBSCRIBED:
      return { title: name, detail: join(str(p.campaign_name), str(p.email_subject) && `“${str(p.email_subject)}”`) }
    case EMAIL_LINK_CLICKED:
      return { title: name, detail: join(str(p.campaign_name), linkPath(str(p.link_url))) }
    case EMAIL_CAPTURED:
      return { title: name, detail: join(emailOf(e), str(p.source)) }
    case EMAIL_LINK_LANDED:
      return { title: name, detail: join(str(p.outcome), str(p.previous_anonymous_id) && `was ${str(p.previous_anonymous_id)}`) }
    case 'Order Completed': {
      const products = Array.isArray(p.products) ? p.products.length : undefined
      const currency = str(p.currency)
      return {
        title: name,
        detail: join(str(p.order_id) && `#${str(p.order_id)}`, money(p.revenue ?? p.total, currency), products !== undefined ? `${products} item${products === 1 ? '' : 's'}` : undefined),
      }
    }
    case 'Product Viewed':
    case 'Product Added':
    case 'Product Removed':
    case 'Product Clicked':
      return { title: name, detail: join(str(p.name) ?? str(p.product_id), money(p.price, str(p.currency))) }
    default:
      return { title: name, detail: str(p.name) ?? str(p.source) }
  }
}

/** The stitch point a site event marks, if any. */
export function stitchOf(e: JEvent, device: Device | undefined): Stitch | undefined {
  if (e.type === 'track' && e.event === VISITOR_LINKED) {
    const bridge = str(e.properties.bridge_id)
    const why = str(e.properties.source) === 'cart' ? `a browser that lost its storage found the bridge id in its Shopify cart` : `order ${str(e.properties.order_id) ?? ''} carried another id than its email's`
    return { kind: 'visitor-linked', label: `Visitor linked: ${why}; ${e.anonymousId ?? '?'} joins ${bridge ?? '?'}` }
  }
  if (e.type !== 'track' || e.source !== 'site') return undefined
  if (e.event === EMAIL_CAPTURED) {
    const email = emailOf(e)
    return { kind: 'email-captured', label: `Email captured${email ? ` (${email})` : ''}: this visitor's id becomes the bridge id on the Klaviyo profile` }
  }
  if (e.event === EMAIL_LINK_LANDED) {
    const outcome = str(e.properties.outcome)
    const on = device ? ` on ${device.id}` : ''
    if (outcome === 'adopted') {
      const prev = str(e.properties.previous_anonymous_id)
      return { kind: 'link-adopted', label: `Email link opened${on}: the browser adopted the bridge id${prev ? ` (was ${prev})` : ''}` }
    }
    if (outcome === 'same') return { kind: 'link-same', label: `Email link opened${on} in the browser that subscribed` }
    if (outcome === 'kept') return { kind: 'link-kept', label: `Email link opened${on} in an identified browser: identity kept` }
  }
  return undefined
}
