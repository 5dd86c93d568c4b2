import type { LandingOutcome, LinkPolicy, SourceMiddleware } from './types'
import type { Identity, Segment } from './analytics'
import { TOKEN, paramValues, stripParam } from './url'
import { readState, writeState } from './state'

/** The token found on this page load, already removed from the address bar. */
export interface Arrival {
  /** A well-formed token, or `null` when the parameter was present but malformed or ambiguous. */
  token: string | null
}

/**
 * Read the bridge token and scrub it from the address bar at once (before anything else can
 * copy the URL), keeping every other parameter and the hash. Runs regardless of consent.
 */
export function arrive(param: string): Arrival | undefined {
  const href = location.href
  const values = paramValues(href, param)
  if (!values.length) return undefined
  try { history.replaceState(history.state, '', stripParam(href, param)) } catch { /* sandboxed */ }
  const v = values[0]
  // Two different values mean a tampered or double-decorated link: trust neither.
  const token = v && TOKEN.test(v) && values.every((x) => x === v) ? v : null
  return { token }
}

/** Decide what a landing does to identity; pure, so it is unit-tested on its own. */
export function decide(token: string, who: Identity, policy: LinkPolicy): LandingOutcome {
  if (who.anonymousId === token) return 'same'
  const s = readState()
  const fresh = !who.userId && !who.email && !s.c && !s.a
  return policy === 'adopt-if-fresh' && fresh ? 'adopted' : 'kept'
}

const URL_FIELDS = ['url', 'search', 'referrer']

/**
 * Source middleware that strips the token from page fields of every event (the snippet
 * buffers the page URL at call time, so events created before we scrubbed still carry it),
 * and, while a landing decision is pending, holds events and re-keys them to the adopted id.
 */
export function scrubber(param: string, pending: () => Promise<{ from: string | null; to: string } | null>): SourceMiddleware {
  return ({ payload, next }) => {
    const o = payload.obj as { anonymousId?: string; context?: { page?: Record<string, unknown> }; properties?: Record<string, unknown> }
    for (const rec of [o.context?.page, o.properties])
      if (rec) for (const f of URL_FIELDS) if (typeof rec[f] === 'string') rec[f] = stripParam(rec[f] as string, param)
    pending().then(
      (adopt) => {
        if (adopt && o.anonymousId && o.anonymousId !== adopt.to && o.anonymousId === adopt.from) o.anonymousId = adopt.to
        next(payload)
      },
      () => next(payload),
    )
  }
}

/** Apply a decision: adopt the token as the Segment anonymousId and report the landing. */
export function land(seg: Segment, token: string, who: Identity, outcome: LandingOutcome): void {
  if (outcome === 'adopted') {
    seg.call('setAnonymousId', [token])
    writeState({ a: token, b: token })
  }
  seg.call('track', [
    'Email Link Landed',
    outcome === 'adopted' && who.anonymousId ? { outcome, previous_anonymous_id: who.anonymousId } : { outcome },
  ])
}
