import type { SourceMiddleware } from './types'
import { TOKEN, scan } from '../shared/url'

/** An adopted token and the anonymousId it replaced: `[from, to]`; `null` when identity was left alone. */
export type Adoption = [from: string | null, to: string] | null | void

/**
 * Read the bridge token of this page load and scrub it from the address bar at once (before
 * anything else can copy the URL), keeping every other parameter and the hash. Runs whatever
 * consent says. `undefined`: no token; `0`: malformed, or two different values (a tampered or
 * double-decorated link: trust neither).
 */
export function arrive(param: string): string | 0 | undefined {
  const [values, scrubbed] = scan(location.href, param)
  if (!values.length) return
  try { history.replaceState(history.state, '', scrubbed) } catch { /* sandboxed */ }
  const t = values[0]
  return TOKEN.test(t!) && values.every((x) => x == t) ? t! : 0
}

/**
 * Source middleware that strips the token from the page fields of every event (the snippet
 * buffers the page URL at call time, so events created before we scrubbed still carry it),
 * and, while a landing decision is pending, holds events and re-keys them to the adopted id.
 */
export function scrubber(param: string, adoption: () => Promise<Adoption>): SourceMiddleware {
  return ({ payload, next }) => {
    const e = payload.obj as { anonymousId?: string | null; context?: { page?: Record<string, unknown> }; properties?: Record<string, unknown> }
    for (const rec of [e.context?.page, e.properties])
      if (rec) for (const f of ['url', 'search', 'referrer']) if (typeof rec[f] == 'string') rec[f] = scan(rec[f] as string, param)[1]
    // Returned: analytics-next awaits it, and cancels an event whose `next` was not called by then.
    return adoption()
      .then((a) => { if (a && e.anonymousId === a[0]) e.anonymousId = a[1] })
      .finally(() => next(payload))
  }
}
