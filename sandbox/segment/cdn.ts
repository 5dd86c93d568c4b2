/** The CDN side: the analytics.js bundle from the installed @segment/analytics-next, and the settings it fetches. */
import { readdirSync, readFileSync } from 'node:fs'
import type http from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { requestHost, sendJson } from '../http-util'

/** Where the installed analytics-next UMD bundles are. */
export interface AnalyticsNextAssets {
  dir: string
  files: Set<string>
}

/** The installed analytics-next UMD bundles, located through module resolution (not a relative path) so it works from any cwd or layout. */
export function locateAnalyticsNext(): AnalyticsNextAssets | null {
  try {
    const require = createRequire(import.meta.url)
    const dir = path.join(path.dirname(require.resolve('@segment/analytics-next/package.json')), 'dist', 'umd')
    return { dir, files: new Set(readdirSync(dir).filter((f) => /^[\w.-]+\.js(\.map)?$/.test(f))) }
  } catch {
    return null
  }
}

/**
 * Prepended to standalone.js. analytics-next derives its CDN (chunk base URL and settings host)
 * from a script src matching `https://…/analytics.js/v1/…`, and falls back to
 * https://cdn.segment.com otherwise; a page loading the bundle straight from this collector over
 * plain http would thus fetch chunks and settings from the internet. Setting the snippet's
 * `_cdn` (read by `getCDN()` before the script-tag scan) to our origin keeps it local. A page
 * whose https://cdn.segment.com requests are routed here is left untouched.
 */
export const STANDALONE_PRELUDE = `/* mailstitch sandbox: keep analytics.js on the local collector */
;(function(){try{var s=document.currentScript,src=(s&&s.src)||'';var m=/^(http:\\/\\/[^/]+)\\/analytics\\.js\\/v1\\//.exec(src);if(!m)return;var k=document.querySelector('script[data-global-segment-analytics-key]');var key=(k&&k.getAttribute('data-global-segment-analytics-key'))||'analytics';var a=window[key];if(a&&!a._cdn)a._cdn=m[1];}catch(e){}})();
`


/** Options of {@link createCdn}. */
export interface CdnContext {
  /** Where the collector listens (`host:port`), read once it is bound. */
  bound(): { host: string; port: number }
  /** Tracking API host in the settings, instead of the collector's own. */
  apiHost?: string
}

/** The settings document and asset server for one collector. */
export function createCdn(ctx: CdnContext): { settingsFor(writeKey: string, req: http.IncomingMessage): Record<string, unknown>; serveAsset(res: http.ServerResponse, file: string, prelude?: string): void } {
  const assets = locateAnalyticsNext()
  const assetCache = new Map<string, Buffer>()
  const opts = { apiHost: ctx.apiHost }

  function settingsFor(writeKey: string, req: http.IncomingMessage): Record<string, unknown> {
    // Trust the Host header only when it names our port: a request proxied from
    // cdn.segment.com (Playwright routing) may carry the original host.
    const { host: boundHost, port: boundPort } = ctx.bound()
    const host = requestHost(req, boundHost)
    const apiHost = opts.apiHost ?? `${host.endsWith(`:${boundPort}`) ? host : boundHost}/v1`
    return {
      integrations: {
        'Segment.io': {
          apiKey: writeKey,
          apiHost,
          protocol: 'http',
          unbundledIntegrations: [],
          addBundledMetadata: true,
          maybeBundledConfigIds: {},
          versionSettings: { version: '4.4.7', componentTypes: ['browser'] },
        },
      },
      plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
      metrics: { sampleRate: 0 },
      middlewareSettings: {},
      enabledMiddleware: {},
      edgeFunction: {},
      analyticsNextEnabled: true,
      legacyVideoPluginsEnabled: false,
      remotePlugins: [],
    }
  }

  function serveAsset(res: http.ServerResponse, file: string, prelude = ''): void {
    if (!assets || !assets.files.has(file)) {
      sendJson(res, 404, { success: false, message: `no such asset: ${file}` })
      return
    }
    let buf = assetCache.get(file)
    if (!buf) {
      buf = readFileSync(path.join(assets.dir, file))
      assetCache.set(file, buf)
    }
    const out = prelude ? Buffer.concat([Buffer.from(prelude), buf]) : buf
    res.statusCode = 200
    res.setHeader('Content-Type', file.endsWith('.map') ? 'application/json' : 'application/javascript; charset=utf-8')
    res.setHeader('Content-Length', out.length)
    res.setHeader('Cache-Control', 'no-cache')
    res.end(out)
  }

  return { settingsFor, serveAsset }
}
