// The inline snippet's code: the landing's part of mailstitch that must happen before any network
// (CONTRACT.md "The inline snippet"). `snippet()` (index.ts) prints these functions' source, so
// each must be self-contained: no imports, no names from outside but the page's globals. A page
// carries only the parts its options need (index.ts `snippetFunction`): `inlineLanding` always,
// `adoptIfFresh` without a consent option, `holdUntilDecided` with one (neither with the link
// policy never-adopt). The snippet runs in the page's <head>, before analytics.js can run
// whatever the network does:
// 1. scrubs the link parameter from the address bar and from the page context the Segment
//    snippet stored with each call it buffered (`{ __t: 'bpc', u, s }`);
// 2. adopts the token where landing-decision.ts would (a fresh browser, no consent option): it
//    queues `setAnonymousId`, which analytics-next applies before any buffered event (its
//    `flushSetAnonymousID` runs first); with a consent option (a named function, or Shopify's
//    Customer Privacy API, which a storefront loads after the page starts) the core decides
//    (consent may wait for a banner) and a source middleware holds events meanwhile;
// 3. leaves what it did in `window.mailstitch.landing` for the core (landing.ts reports it and
//    does not land again), and adds the core's script, async, with the options as data-*.

/** What the snippet leaves for the core in `window.mailstitch.landing`. */
export interface SnippetLanding {
  /** The well-formed token of this landing. */
  token: string
  /**
   * Present when the snippet adopted the token (no consent option, a fresh browser): the
   * anonymousId analytics.js had stored before (undefined on a new browser); the core only
   * reports the landing. Absent: the core decides ('same', 'kept', or adopting once consent is given).
   */
  from?: string | null
  /** Consent was not known: events are held until the core calls this with its decision. */
  release?: (adoption: { from: string | null; to: string } | null | void) => void
  /** Set by the core when it takes the landing: from then on only the core releases held events. */
  taken?: boolean
}

/* Plain `var` and untyped globals (`any`) keep the printed text small. */

/**
 * Queue `setAnonymousId(token)` on a fresh browser, and note the id it replaces. Fresh as in
 * landing-decision.ts: no userId, no email trait, nothing captured or adopted by mailstitch here.
 * It reads analytics.js's own storage (localStorage as JSON, else its cookies) and ours
 * (mst_state: c = captured, a = adopted, URI-encoded JSON). Storage that throws: the core decides.
 */
export const adoptIfFresh = (token: string, analytics: unknown[][], landing: SnippetLanding): void => {
  var store = localStorage
  var jar = document.cookie
  var from = JSON.parse(store.ajs_anonymous_id || 0) || /ajs_anonymous_id=([^;]*)/.exec(jar)?.[1]
  // One test over the cookies and the stored traits (a cookie never holds a raw `"`).
  if (from != token && !JSON.parse(store.ajs_user_id || 0) && !/ajs_user_id=[^;]|mst_state=[^;]*%22[ca]%22|"email"/.test(jar + store.ajs_user_traits)) {
    analytics.push(['setAnonymousId', token])
    landing.from = from
  }
}

/**
 * Consent is the core's to ask (it may wait for a banner): a source middleware holds every event
 * until the core releases it with its decision, re-keyed to the adopted id. A core that took the
 * landing always releases them (core/delivery.ts `holdForDecision`: 10 s for consent, its runner
 * and the decision, counted from its own start, which a starved phone may reach late); one that
 * never loads must not hold the page's events for good: 10 s after the snippet, it releases them
 * unchanged. So does a shopper who leaves first (`beforeunload`, as the core does: released any
 * later, the landing's page event was lost); the listener goes with the hold (Firefox keeps no
 * page with one in its bfcache).
 */
export const holdUntilDecided = (analytics: unknown[][], landing: SnippetLanding): void => {
  var leave = () => landing.release!()
  var decision = new Promise<Parameters<NonNullable<SnippetLanding['release']>>[0]>((resolve) => {
    landing.release = resolve
    setTimeout(() => landing.taken || resolve(), 10000)
  })
  addEventListener('beforeunload', leave)
  decision.then(() => removeEventListener('beforeunload', leave))
  analytics.push([
    'addSourceMiddleware',
    ({ payload, next }: any) =>
      decision.then((adoption: any) => {
        // Every event before the decision carries the previous id (adoption.from).
        if (adoption) payload.obj.anonymousId = adoption.to
        next(payload)
      }),
  ])
}

/**
 * The snippet itself, its parts bound first (index.ts prints `(inlineLanding).bind(0, adopt,
 * hold)`), then called with the core's address and the script tag's options.
 */
export const inlineLanding = (
  adopt: typeof adoptIfFresh | 0,
  hold: typeof holdUntilDecided | 0,
  src: string,
  data: Record<string, string>,
): void => {
  var w = window as any
  var d = document
  var here = location
  try {
    var url = new URL(here as unknown as string)
    var query = url.searchParams
    var param = data.linkParam || 'mst'
    var values = query.getAll(param)
    if (values.length) {
      // URLSearchParams writes the other parameters back re-encoded, never changed in value
      // (src/shared/url.ts `scan`, in the core, keeps their bytes: it has the room).
      query.delete(param)
      history.replaceState(history.state, '', url)
      var token = values[0]
      var a = (w.analytics ||= [])
      // The snippet's buffer (an array until analytics.js is up; once it is, this throws and the
      // core lands late): each call's page context was taken from the address bar as it was.
      a.forEach((call: any[]) =>
        call.forEach((arg) => {
          if (arg?.__t) {
            arg.u = here.href
            arg.s = here.search
          }
        }),
      )
      if (!/^[\w.:-]{8,128}$/.test(token) || values.some((value) => value != token)) return
      var landing: SnippetLanding = ((w.mailstitch ||= {}).landing = { token })
      // The options decide, not only the parts printed: a consent option never lets the snippet adopt.
      if (data.consent) {
        if (hold) hold(a, landing)
      } else if (adopt) adopt(token, a, landing)
    }
  } catch {
    /* never break the page */
  } finally {
    var script = d.createElement('script')
    // A script added by script is async (never parser-blocking).
    script.src = src
    Object.assign(script.dataset, data)
    d.head.append(script)
  }
}
