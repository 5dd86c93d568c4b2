// The inline snippet's body: the landing's part of mailstitch that must happen before any network
// (CONTRACT.md "The inline snippet"). `snippet()` (index.ts) prints this function's source, so it
// must be self-contained: no imports, no names from outside, ES2017 the minifier keeps as it is.
// It runs in the page's <head>, before analytics.js can run whatever the network does:
// 1. scrubs the link parameter from the address bar and from the page context the Segment
//    snippet stored with each call it buffered (`{ __t: 'bpc', u, s }`);
// 2. adopts the token where landing-decision.ts would (a fresh browser, no consent option): it
//    queues `setAnonymousId`, which analytics-next applies before any buffered event (its
//    `flushSetAnonymousID` runs first); with a `consent` option not known yet (a named function,
//    or Shopify's API not loaded or not allowing), the core decides (consent may
//    wait for a banner) and a source middleware holds events meanwhile (5 s at most: as long as the core waits for Shopify's consent API);
// 3. leaves what it did in `window.mailstitch.landing` for the core (landing.ts reports it and
//    does not land again), and adds the core's script, async, with the options as data-*.

/** What the snippet leaves for the core in `window.mailstitch.landing`. */
export interface SnippetLanding {
  /** The well-formed token of this landing. */
  token: string
  /**
   * Present when the snippet adopted the token (consent not asked or already given, a fresh browser): the
   * anonymousId analytics.js had stored before (undefined on a new browser); the core only
   * reports the landing. Absent: the core decides ('same', 'kept', or adopting once consent is given).
   */
  from?: string | null
  /** Consent was not known: events are held until the core calls this with its decision. */
  release?: (adoption: { from: string | null; to: string } | null | void) => void
}

/* eslint-disable max-lines-per-function -- one self-contained function: snippet() prints its source into the page */
/* Plain `var` and untyped globals (`any`) keep the printed text small. */
export const inlineLanding = (src: string, data: Record<string, string>): void => {
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
      // Shopify's Customer Privacy API, where it has loaded already (a store without a banner, a
      // visitor who answered it), gives consent now, as core/consent.ts reads it: then the snippet
      // decides here too, with no wait for the core (a slow phone may need longer than the hold).
      var privacy = data.consent == 'shopify' && w.Shopify?.customerPrivacy
      var allowed = !data.consent || (privacy && privacy.analyticsProcessingAllowed() && privacy.marketingAllowed())
      var landing: SnippetLanding = ((w.mailstitch ||= {}).landing = { token })
      if (!allowed) {
        // Consent is the core's to ask (it may wait for a banner): events wait for its decision.
        var hold = new Promise((resolve) => {
          landing.release = resolve
          setTimeout(resolve, 5000)
        })
        a.push([
          'addSourceMiddleware',
          ({ payload, next }: any) =>
            hold.then((adoption: any) => {
              // Every event before the decision carries the previous id (adoption.from).
            if (adoption) payload.obj.anonymousId = adoption.to
              next(payload)
            }),
        ])
      } else {
        // analytics.js's own storage (localStorage as JSON, else its cookies) and ours (mst_state:
        // c = captured, a = adopted, URI-encoded JSON). Fresh as in landing-decision.ts: no userId,
        // no email trait, nothing captured or adopted here. Storage that throws: the core decides.
        var store = localStorage
        var jar = d.cookie
        var from = JSON.parse(store.ajs_anonymous_id || 0) || /ajs_anonymous_id=([^;]*)/.exec(jar)?.[1]
        // One test over the cookies and the stored traits (a cookie never holds a raw `"`).
        if (
          from != token &&
          data.linkPolicy != 'never-adopt' &&
          !JSON.parse(store.ajs_user_id || 0) &&
          !/ajs_user_id=[^;]|mst_state=[^;]*%22[ca]%22|"email"/.test(jar + store.ajs_user_traits)
        ) {
          a.push(['setAnonymousId', token])
          landing.from = from
        }
      }
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
