// The landing's decision, run by the runner (see `Runner` in core/context.ts): adopt an email link's token as
// this browser's Segment anonymousId, or not (CONTRACT.md "What a landing does"), and report it.
import { EMAIL_LINK_LANDED } from '../../shared/email-events'
import type { LandingOutcome } from '../types'
import type { Adoption, Context } from '../core/context'
import { callAnalytics, currentVisitor, segmentRequestsSentBefore, type Visitor } from '../core/analytics'
import { EARLY_REQUEST_WAIT_MS } from '../core/delivery'
import type { SnippetLanding } from '../../snippet/inline'
import { writeState } from './state-cookie'

/** For `visitor` (core/analytics.ts `currentVisitor`): 'same' when the token already is the anonymousId; 'adopted' when the policy allows and the browser is fresh; else 'kept'. */
export function landingOutcome(context: Context, token: string, visitor: Visitor): Exclude<LandingOutcome, 'adopted_late'> {
  if (visitor.anonymousId === token) return 'same'
  if (context.options.linkPolicy === 'never-adopt') return 'kept'
  const fresh = !visitor.userId && !visitor.email && !visitor.state.captured && !visitor.state.adopted
  return fresh ? 'adopted' : 'kept'
}

/**
 * Decide, adopt if so, and report `Email Link Landed` (consent was given: see `land`). With
 * `snippet`, the inline snippet adopted already (before analytics.js could send anything): only
 * the report and the state are left. Resolves with the adoption at once; the report may follow.
 */
export async function decideLanding(context: Context, token: string, snippet?: SnippetLanding): Promise<Adoption> {
  if (context.destroyed) return null
  const adoptedBySnippet = snippet !== undefined && 'from' in snippet
  // Read once (each read of analytics.js's ids re-writes its cookies): not at all where the snippet adopted.
  const visitor = adoptedBySnippet ? undefined : currentVisitor(context.analytics)
  const from = visitor ? visitor.anonymousId : snippet!.from ?? null
  const outcome: LandingOutcome = visitor ? landingOutcome(context, token, visitor) : 'adopted'
  const properties: Record<string, unknown> = { outcome }
  if (outcome === 'adopted') {
    if (visitor) callAnalytics(context.analytics, 'setAnonymousId', [token])
    writeState({ adopted: token, bridgeId: token }, visitor?.state)
    if (from) properties.previous_anonymous_id = from
  }
  void reportLanding(context, properties)
  return outcome === 'adopted' ? { from, to: token } : null
}

/**
 * Track `Email Link Landed`. Placed too late (`context.lateSince`), an adoption is reported as
 * `adopted_late` with `early_events`, the Segment requests sent before under the previous id, so
 * a warehouse can join them.
 */
async function reportLanding(context: Context, properties: Record<string, unknown>): Promise<void> {
  if (properties.outcome === 'adopted' && context.lateSince !== undefined) {
    const early = await segmentRequestsSentBefore(context.lateSince, EARLY_REQUEST_WAIT_MS)
    if (early > 0) {
      properties.outcome = 'adopted_late'
      properties.early_events = early
    }
  }
  if (context.destroyed) return
  context.log('landing', properties.outcome)
  callAnalytics(context.analytics, 'track', [EMAIL_LINK_LANDED, properties])
}
