/** The same events as Segment and Klaviyo would key them without mailstitch (the "without" view). */
import { EMAIL_LINK_LANDED, VISITOR_LINKED } from '../shared/email-events'
import { recordOf as rec } from '../shared/json'
import { DeviceRegistry } from './devices'
import { isEmailEvent, str, type JEvent } from './events'

/** Key prefix of a visitor id that was never sent: the id a fresh browser would have had without mailstitch. */
export const NEW_ID_PREFIX = 'new:'

/** How far before an adopted landing the same device's events may be (the landing page's own page call). */
const ADOPTION_SLACK_MS = 5_000

/** Result of withoutMailstitch(). */
export interface Unstitched {
  /** The events as Segment and Klaviyo would have keyed them on their own. */
  events: JEvent[]
  /** Events mailstitch itself sent (capture identify, `Email Captured`, `Email Link Landed`), left out. */
  dropped: number
  /** Relayed email events re-keyed to Klaviyo's own key (profile id or email). */
  rekeyedEmail: number
  /** Site events given back to the anonymousId their device had before it adopted a bridge id. */
  rekeyedSite: number
  /** Visitor ids and why they look as they do. */
  notes: Map<string, string>
}

/** Events sent by mailstitch itself, which a site without it would not send. */
function isMailstitchEvent(e: JEvent): boolean {
  // Sent by the relay (an order whose attribute and email disagree) or the Shopify add-on (a purged browser).
  if (e.type === 'track' && e.event === VISITOR_LINKED) return true
  if (e.source !== 'site') return false
  if (e.messageId.startsWith('mst-')) return true // capture identify and Email Captured
  return e.type === 'track' && e.event === EMAIL_LINK_LANDED
}

/**
 * The same events keyed only by what Segment and Klaviyo send on their own:
 * - relayed email events keyed by the Klaviyo profile (profile id, else email), not the bridge id;
 * - a device that adopted a bridge id from an email link keeps the anonymousId it had
 *   (`previous_anonymous_id` of its landing) for everything it sent from then on;
 * - mailstitch's own events are left out.
 */
export function withoutMailstitch(events: readonly JEvent[], devices = new DeviceRegistry(events)): Unstitched {
  const notes = new Map<string, string>()
  const adoptions: Array<{ to: string; from: string; device: string; time: number }> = []
  for (const e of events) {
    if (e.source !== 'site' || e.type !== 'track' || e.event !== EMAIL_LINK_LANDED || e.properties.outcome !== 'adopted' || !e.anonymousId) continue
    const device = devices.of(e)?.id ?? '?'
    // A browser that never ran analytics.js before has no previous id: mailstitch adopted the bridge
    // id before analytics.js made one. Without mailstitch it would have made a new random one.
    const prev = str(e.properties.previous_anonymous_id)
    const from = prev ?? `${NEW_ID_PREFIX}${e.messageId}`
    adoptions.push({ to: e.anonymousId, from, device, time: e.time })
    notes.set(
      from,
      `a stranger: the email link opened on ${device}, which without mailstitch keeps ${prev ? 'its own anonymousId' : 'the new anonymousId analytics.js would have made'}; nothing joins it to the subscriber`,
    )
  }
  adoptions.sort((a, b) => b.time - a.time) // latest first
  const out: JEvent[] = []
  let dropped = 0
  let rekeyedEmail = 0
  let rekeyedSite = 0
  for (const e of events) {
    if (isMailstitchEvent(e)) {
      dropped++
      continue
    }
    // Without mailstitch an order from Shopify's own integration is keyed by the buyer's email, as Klaviyo keys its events.
    if (e.source === 'relay' || e.source === 'shopify') {
      const profileId = str(e.properties.klaviyo_profile_id)
      const email = str(rec(e.context.traits).email)?.toLowerCase()
      const key = profileId ? `klaviyo:${profileId}` : email ? `email:${email}` : e.anonymousId?.startsWith('klaviyo:') ? e.anonymousId : undefined
      const copy: JEvent = { ...e }
      delete copy.userId // Klaviyo only knows an external_id because mailstitch wrote one
      if (key) copy.anonymousId = key
      else delete copy.anonymousId
      if (!copy.anonymousId) copy.anonymousId = `klaviyo:unknown-${e.messageId}`
      if (copy.anonymousId !== e.anonymousId) rekeyedEmail++
      if (isEmailEvent(copy)) notes.set(copy.anonymousId, `orphaned: Klaviyo sends its email events keyed by ${email ?? 'its own profile'}, an id no site event carries`)
      out.push(copy)
      continue
    }
    const device = devices.of(e)?.id
    const a = device && adoptions.find((x) => x.to === e.anonymousId && x.device === device && e.time >= x.time - ADOPTION_SLACK_MS)
    if (a) {
      out.push({ ...e, anonymousId: a.from })
      rekeyedSite++
      continue
    }
    out.push(e)
  }
  return { events: out, dropped, rekeyedEmail, rekeyedSite, notes }
}
