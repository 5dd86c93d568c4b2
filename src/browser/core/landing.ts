// Step 1, landing: a visit from an email link (`?mst=<token>`). The token is scrubbed from the
// address bar and from every Segment event whatever consent says, here, at once; whether the
// browser adopts it as its Segment anonymousId (only with consent, only when it is fresh:
// CONTRACT.md "What a landing does") is decided by the runner (landing-decision.ts), which events
// wait for.
import type { PluginContext, SegmentPlugin } from '../types'
import type { Adoption, Context } from './context'
import { registerPlugin } from './analytics'
import { holdForDecision } from './delivery'
import type { SnippetLanding } from '../../snippet/inline'
import { TOKEN, scan } from '../../shared/url'
import { version } from '../../shared/version'

/** This page load's token: none, one not to trust (malformed, or two different values: a tampered or double-decorated link), or a well-formed one. */
type Arrival = { token: string } | 'none' | 'untrusted'

/**
 * Read the bridge token of this page load and scrub it from the address bar at once (before
 * anything else can copy the URL), keeping every other parameter and the hash.
 */
function arrive(param: string): Arrival {
  const [values, scrubbed] = scan(location.href, param)
  if (!values.length) return 'none'
  try {
    history.replaceState(history.state, '', scrubbed)
  } catch { /* sandboxed */ }
  const token = values[0]!
  const consistent = values.every((value) => value === token)
  return TOKEN.test(token) && consistent ? { token } : 'untrusted'
}

/** Strip the token from an event's page fields, and re-key it when the landing adopted a token. */
async function rewriteEvent(event: PluginContext['event'], param: string, adoption: () => Promise<Adoption>): Promise<void> {
  for (const fields of [event.context?.page, event.properties]) {
    if (!fields) continue
    for (const name of ['url', 'search', 'referrer']) {
      if (typeof fields[name] === 'string') fields[name] = scan(fields[name] as string, param)[1]
    }
  }
  const adopted = await adoption()
  if (adopted && event.anonymousId === adopted.from) event.anonymousId = adopted.to
}

/** The scrubber as an analytics-next `before` plugin, so `destroy()` can deregister it. */
function scrubPlugin(param: string, adoption: () => Promise<Adoption>): SegmentPlugin {
  const handle = async (ctx: PluginContext) => {
    try {
      await rewriteEvent(ctx.event, param, adoption)
    } catch { /* never hold an event back */ }
    return ctx
  }
  const ready = () => Promise.resolve()
  return { name: 'mailstitch', type: 'before', version, isLoaded: () => true, load: ready, unload: ready, page: handle, track: handle, identify: handle, alias: handle, group: handle, screen: handle }
}

/**
 * Resolve a landing with `token`; events are held until the decision, never longer than
 * delivery.ts's landing deadline (10 s for consent's answer and the runner's decision; a runner that
 * cannot load leaves identity alone: the token is scrubbed all the same).
 */
export function land(context: Context, token: string, snippet?: SnippetLanding): void {
  // Taken before the await: a second consent event meanwhile must not land it again.
  context.pendingToken = undefined
  const decision = Promise.resolve(context.consent()).then((allowed) => {
    if (!allowed || context.destroyed) {
      context.pendingToken = token // landed once consent is given
      return null
    }
    return context.loadRunner().then((runner) => runner.decideLanding(context, token, snippet), () => null)
  })
  context.adoption = holdForDecision(decision)
  // Events the inline snippet holds (consent was not known to it) go on with this decision.
  if (snippet?.release) void context.adoption.then(snippet.release)
}

/**
 * What the inline snippet left for the core, taken once: from then on this core releases what the
 * snippet holds (its own deadline may end after the snippet's), and a second instance lands nothing.
 */
function takeSnippetLanding(): SnippetLanding | undefined {
  const landing = (window as { mailstitch?: { landing?: SnippetLanding } }).mailstitch?.landing
  if (!landing || landing.taken) return undefined
  landing.taken = true
  return landing
}

/**
 * The landing step of start-up: scrub the token, register the scrubber with analytics when this
 * visit came from a link (or its referrer carried one), and land a well-formed token.
 */
export function startLanding(context: Context): void {
  const param = context.linkParam
  // The inline snippet scrubbed the address bar already (and adopted, where it could).
  const snippet = takeSnippetLanding()
  const arrival: Arrival = snippet ? { token: snippet.token } : arrive(param)
  const referrerHadToken = scan(document.referrer, param)[0].length > 0
  if (arrival === 'none' && !referrerHadToken) return
  // Tag placed before the Segment snippet: queue into the array the snippet will adopt.
  if (!context.analytics()) (window as { analytics?: unknown }).analytics = []
  const adoption = () => context.adoption
  context.cleanups.push(registerPlugin(context.analytics, scrubPlugin(param, adoption)))
  if (typeof arrival !== 'object') return
  // Placed too late, analytics.js (up already) may have sent events under the previous id: the
  // Segment requests started before now (none where mailstitch came first; see decideLanding).
  const analytics = context.analytics()
  if (!snippet && (analytics?.initialized || analytics?.instance)) context.lateSince = performance.now()
  land(context, arrival.token, snippet)
}
