/** The collector's HTTP server: routes to the tracking API, the CDN, and its own `/_/` inspection endpoints. */
import type http from 'node:http'
import { FaultInjector, closeServer, createServer, handleCors, listen, safeDecode, sendJson } from '../http-util'
import { STANDALONE_PRELUDE, createCdn } from './cdn'
import { EventLedger } from './ledger'
import { BATCH_PATHS, SINGLE_PATHS } from './rules'
import { createTrackingApi } from './tracking-api'
import type { SegmentCollector, SegmentCollectorOptions, SegmentEvent } from './types'

/** Start a Segment collector; see the module comment for what it serves. */
export async function startSegmentCollector(opts: SegmentCollectorOptions = {}): Promise<SegmentCollector> {
  const writeKeys = opts.writeKeys ? new Set(opts.writeKeys) : null
  const ledger = new EventLedger()
  const faults = new FaultInjector(opts.wait)
  let boundHost = ''
  let boundPort = 0

  const keyAllowed = (k: string | undefined): k is string => !!k && (!writeKeys || writeKeys.has(k))
  const handleTracking = createTrackingApi({ ledger, faults, keyAllowed, jsonlPath: opts.jsonlPath })
  const { settingsFor, serveAsset } = createCdn({ bound: () => ({ host: boundHost, port: boundPort }), apiHost: opts.apiHost })

  function filteredEvents(q: URLSearchParams): SegmentEvent[] {
    return ledger.events.filter((e) => {
      for (const k of ['type', 'event', 'userId', 'anonymousId', 'messageId', 'name'] as const) {
        const want = q.get(k)
        if (want !== null && String(e[k] ?? '') !== want) return false
      }
      return true
    })
  }

  function methodNotAllowed(res: http.ServerResponse, allow: string): void {
    sendJson(res, 405, { success: false, message: 'method not allowed' }, { Allow: allow })
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = handleCors(req, res)
    if (!method) return
    const url = new URL(req.url ?? '/', 'http://collector.invalid')
    const p = url.pathname
    const isGet = method === 'GET' || method === 'HEAD'

    let m = /^\/v1\/([a-z]+)\/?$/.exec(p)
    if (m && (SINGLE_PATHS[m[1]] || BATCH_PATHS.has(m[1]))) {
      if (method !== 'POST') return methodNotAllowed(res, 'POST, OPTIONS')
      await handleTracking(req, res, p, BATCH_PATHS.has(m[1]) ? 'batch' : SINGLE_PATHS[m[1]])
      return
    }
    if (p === '/v1/m' || p === '/m') {
      // analytics-next remote metrics: accepted and ignored (sampleRate 0 normally silences them).
      if (method !== 'POST') return methodNotAllowed(res, 'POST, OPTIONS')
      req.resume()
      sendJson(res, 200, { success: true })
      return
    }
    m = /^\/v1\/projects\/([^/]+)\/settings\/?$/.exec(p)
    if (m) {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      const key = safeDecode(m[1])
      if (key === undefined || (writeKeys && !writeKeys.has(key))) {
        sendJson(res, 404, { success: false, message: 'unknown write key' })
        return
      }
      sendJson(res, 200, settingsFor(key, req))
      return
    }
    m = /^\/analytics\.js\/v1\/([^/]+)\/(?:platform\/)?analytics(?:\.min)?\.js$/.exec(p)
    if (m) {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      serveAsset(res, 'standalone.js', STANDALONE_PRELUDE)
      return
    }
    m = /^\/analytics-next\/bundles\/([^/]+)$/.exec(p)
    if (m) {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      serveAsset(res, m[1])
      return
    }
    if (p === '/_/events' || p === '/_/events.jsonl') {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      const list = filteredEvents(url.searchParams)
      if (p === '/_/events') {
        sendJson(res, 200, list)
      } else {
        const text = list.map((e) => JSON.stringify(e)).join('\n') + (list.length ? '\n' : '')
        res.statusCode = 200
        res.setHeader('Content-Type', 'application/x-ndjson')
        res.end(text)
      }
      return
    }
    if (p === '/_/rejected') {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      sendJson(res, 200, ledger.rejected)
      return
    }
    if (p === '/_/stats') {
      if (!isGet) return methodNotAllowed(res, 'GET, OPTIONS')
      sendJson(res, 200, { events: ledger.events.length, rejected: ledger.rejected.length, duplicates: ledger.duplicates, requests: ledger.requestCount })
      return
    }
    if (p === '/_/reset') {
      if (method !== 'POST') return methodNotAllowed(res, 'POST, OPTIONS')
      req.resume()
      collector.reset()
      sendJson(res, 200, { success: true })
      return
    }
    if (p === '/' || p === '/_/health') {
      sendJson(res, 200, { ok: true, service: 'mailstitch segment collector' })
      return
    }
    req.resume()
    sendJson(res, 404, { success: false, message: `not found: ${p}` })
  }

  const server = createServer(handle, (res, err) => sendJson(res, 500, { success: false, message: err instanceof Error ? err.message : 'internal error' }))
  const where = await listen(server, opts)
  boundHost = new URL(where.url).host
  boundPort = where.port

  const collector: SegmentCollector = {
    url: where.url,
    port: where.port,
    close: () => closeServer(server),
    events: () => [...ledger.events],
    rejected: () => [...ledger.rejected],
    duplicates: () => ledger.duplicates,
    requests: () => ledger.requestCount,
    requestLog: () => [...ledger.log],
    waitFor(predicate, timeoutMs = 5000) {
      const found = ledger.events.find(predicate)
      if (found) return Promise.resolve(found)
      return new Promise<SegmentEvent>((resolve, reject) => {
        const timer = setTimeout(() => {
          off()
          reject(new Error(`segment collector: no matching event within ${timeoutMs} ms (${ledger.events.length} events received)`))
        }, timeoutMs)
        const off = collector.subscribe((e) => {
          if (!predicate(e)) return
          clearTimeout(timer)
          off()
          resolve(e)
        })
      })
    },
    reset() {
      ledger.reset()
      faults.clear()
      faults.setLatency(0)
    },
    setFault: (spec) => faults.set(spec),
    clearFault: () => faults.clear(),
    setLatency: (ms) => faults.setLatency(ms),
    subscribe: (cb) => ledger.subscribe(cb),
    on(_name, cb) {
      return collector.subscribe(cb)
    },
  }
  return collector
}
