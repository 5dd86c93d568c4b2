// The landing's decision, run by the runner (see `Runner` in core/context.ts): adopt an email link's token as
// this browser's Segment anonymousId, or not (CONTRACT.md "What a landing does"), and report it.
import { EMAIL_LINK_LANDED } from '../../shared/email-events'
import type { LandingOutcome } from '../types'
import type { Adoption, Context } from '../core/context'
import { callAnalytics, currentVisitor } from '../core/analytics'
import { readState } from '../core/state'
import { writeState } from './state-cookie'

/** 'same' when the token already is the anonymousId; 'adopted' when the policy allows and the browser is fresh; else 'kept'. */
export function landingOutcome(context: Context, token: string): LandingOutcome {
  const visitor = currentVisitor(context.analytics)
  if (visitor.anonymousId === token) return 'same'
  if (context.options.linkPolicy === 'never-adopt') return 'kept'
  const state = readState()
  const fresh = !visitor.userId && !visitor.email && !state.captured && !state.adopted
  return fresh ? 'adopted' : 'kept'
}

/** Decide, adopt if so, and report `Email Link Landed` (consent was given: see `land`). */
export async function decideLanding(context: Context, token: string): Promise<Adoption> {
  if (context.destroyed) return null
  const from = currentVisitor(context.analytics).anonymousId
  const outcome = landingOutcome(context, token)
  context.log('landing', outcome)
  const properties: Record<string, unknown> = { outcome }
  if (outcome === 'adopted') {
    callAnalytics(context.analytics, 'setAnonymousId', [token])
    writeState({ adopted: token, bridgeId: token })
    if (from) properties.previous_anonymous_id = from
  }
  callAnalytics(context.analytics, 'track', [EMAIL_LINK_LANDED, properties])
  return outcome === 'adopted' ? { from, to: token } : null
}

