/**
 * `mailstitch relay poll|serve`: argument parsing, environment, signals, summaries, exit codes.
 * The work itself is done by createRelay(); this file only adapts it to a terminal.
 */
import { redactSecrets } from '../shared/redact'
import type { CliIO, Command } from './io'
import { parseIsoTime, parseOptions, parseSeconds, type OptionSpec } from './arguments'
import { createPollProgress } from './poll-progress'
import { EXIT_CODES, RelayError, SegmentRefusedError, UsageError } from '../relay/errors'
import { relayOptionsFromEnv } from '../relay/env'
import { formatSummary, isTransient, DEFAULT_LOOKBACK_SECONDS, type PollSummary } from '../relay/poll'
import { createRelay, DEFAULT_INTERVAL_SECONDS, type Relay, type RelayOptions } from '../relay/relay'
import { DEFAULT_PORT } from '../relay/serve'
import { DEFAULT_STATE_PATH } from '../relay/state'
import { checkRelay, formatCheckReport } from '../relay/check'
import { ConfigError, readRelaySettings, shopifySecretWarnings, type SettingFlags } from '../shared/relay-settings'

const RELAY_HELP = `Usage: mailstitch relay <command> [options]

Move Klaviyo email events (delivered, opened, clicked, bounced, spam, unsubscribed)
into Segment as track events keyed to the visitor's bridge id.

Commands:
  poll    Read events from the Klaviyo API (once, or continuously)
  serve   Receive Klaviyo system webhooks over HTTP
  check   Validate keys, scopes, metrics, region and reachability; exit 0 when usable

Run "mailstitch relay <command> --help" for the options of a command.`

const POLL_HELP = `Usage: mailstitch relay poll --once | --follow [options]

  --once              Poll once and exit
  --follow            Poll every --interval seconds until SIGTERM/SIGINT
  --since <ISO time>  Where to start when the state file has no cursor yet (first run / backfill).
                      Once a cursor is saved the saved state wins: rerunning the same command
                      sends nothing it sent before.
  --redrive <ISO time>  With --once: re-send every event from this time up to the saved cursor,
                      then exit; the cursor does not move. Segment drops repeated messageIds for
                      about 24 hours only: older events arrive twice in destinations.
  --interval <s>      Seconds between polls with --follow (default ${DEFAULT_INTERVAL_SECONDS})
  --state <file>      State file (default ${DEFAULT_STATE_PATH})
  --lookback <s>      Re-read this many seconds before the cursor for late events (default ${DEFAULT_LOOKBACK_SECONDS})
  --drop-machine-opens  Do not send opens Klaviyo flagged as Apple Mail Privacy machine opens
                      (default: send them with machine_open: true)
  --region <us|eu>    Segment workspace region (default SEGMENT_REGION, else us); SEGMENT_API_HOST wins
  --page-size <n>     Klaviyo events per page, 1–1000 (default 1000). A killed run re-sends at most
                      one page per metric in flight.
  -h, --help          Show this help

Environment:
  KLAVIYO_PRIVATE_KEY  Klaviyo private key (scopes events:read, metrics:read, profiles:read)
  SEGMENT_WRITE_KEY    Segment source write key
  KLAVIYO_API_BASE     Default https://a.klaviyo.com
  SEGMENT_API_HOST     Default https://api.segment.io (or the region's host)
  SEGMENT_REGION       us (default) or eu: https://events.eu1.segmentapis.com

Prints one line per poll: fetched N, sent N, skipped N. On a terminal a poll that takes more
than a second also shows a progress line on stderr (events read, events/s, how far the cursor
is); none in CI, cron or a pipe.
Exit codes: 0 ok (also after SIGTERM/SIGINT), 1 delivery/API failure, 2 usage or configuration,
3 a key was rejected, 4 a host was unreachable, 5 another poller is using the state file.`

const SERVE_HELP = `Usage: mailstitch relay serve [--port ${DEFAULT_PORT}] [--host 0.0.0.0] [--drop-machine-opens]

Receive Klaviyo system webhooks (and Shopify order webhooks) over HTTP: POST on any path,
told apart by their signature headers (Klaviyo-Signature, X-Shopify-Hmac-Sha256); GET /healthz
answers 200. Each request is verified (signature; for Klaviyo a 12-hour timestamp window and the
webhook id) and answered 200 only after Segment accepted its events, 503 otherwise so the sender
retries. Profiles that Klaviyo's payload only references are looked up (batched, cached) with
KLAVIYO_PRIVATE_KEY. Stateless: run as many copies as you like.

  --port <n>     Port to listen on (default ${DEFAULT_PORT})
  --host <addr>  Interface to bind (default 0.0.0.0)
  --drop-machine-opens  Do not send opens Klaviyo flagged as Apple Mail Privacy machine opens
  -h, --help     Show this help

Environment (at least one of the two webhook secrets):
  KLAVIYO_WEBHOOK_SECRET  The Klaviyo webhook's secret_key (comma-separated during a rotation)
  KLAVIYO_PRIVATE_KEY     Required with KLAVIYO_WEBHOOK_SECRET (scopes profiles:read, metrics:read)
  SHOPIFY_WEBHOOK_SECRET  Shopify webhook signing secret (order webhooks)
  SEGMENT_WRITE_KEY       Segment source write key
  KLAVIYO_API_BASE        Default https://a.klaviyo.com
  SEGMENT_API_HOST        Default https://api.segment.io`

const CHECK_HELP = `Usage: mailstitch relay check [--region us|eu]

Check, before any event is lost, that the relay can run with the current environment:
  Klaviyo: KLAVIYO_PRIVATE_KEY set and accepted (not 401), read access to metrics, events and
           profiles (not 403), email metrics in the account, webhook topics (with KLAVIYO_WEBHOOK_SECRET)
  Segment: SEGMENT_WRITE_KEY set and shaped like a write key, the Tracking API reachable
  Shopify: SHOPIFY_WEBHOOK_SECRET set and not empty; warns when it looks like no Shopify secret
Segment answers 200 to any write key and to an EU workspace posting to the US endpoint, so those
two are printed as warnings naming where to look (the source's Debugger in Segment).

Exit codes: 0 usable (warnings allowed), else the code the relay itself would exit with:
2 missing/malformed key or no email metrics, 3 a key was refused, 4 a host was unreachable.`

/** The `relay` command of the `mailstitch` CLI. */
export const relayCommand: Command = {
  summary: 'Move Klaviyo email events into Segment (poll the API or serve webhooks)',
  async run(args, rawIo) {
    // Everything the relay prints quotes configured URLs and vendor answers: one redaction for all of it.
    const io: CliIO = { ...rawIo, out: (line) => rawIo.out(redactSecrets(line)), err: (line) => rawIo.err(redactSecrets(line)) }
    const [sub, ...rest] = args
    try {
      if (!sub || sub === '-h' || sub === '--help' || sub === 'help') {
        io.out(RELAY_HELP)
        return sub ? 0 : 2
      }
      if (sub === 'poll') return await poll(rest, io)
      if (sub === 'serve') return await serve(rest, io)
      if (sub === 'check') return await check(rest, io)
      throw new UsageError(`unknown command "relay ${sub}". Use "relay poll", "relay serve" or "relay check".`)
    } catch (err) {
      return report(err, io)
    }
  },
}

async function poll(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, {
    once: { type: 'boolean' },
    follow: { type: 'boolean' },
    since: { type: 'string' },
    redrive: { type: 'string' },
    interval: { type: 'string' },
    state: { type: 'string' },
    lookback: { type: 'string' },
    'page-size': { type: 'string' },
    'drop-machine-opens': { type: 'boolean' },
    region: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help) {
    io.out(POLL_HELP)
    return 0
  }
  if (values.once === values.follow) throw new UsageError('give exactly one of --once or --follow.')
  if (values.interval !== undefined && !values.follow) throw new UsageError('--interval only applies with --follow.')
  if (values.redrive !== undefined && !values.once) throw new UsageError('--redrive only applies with --once.')
  if (values.redrive !== undefined && values.since !== undefined) throw new UsageError('give --since (seed a new state) or --redrive (re-send a window), not both.')
  const since = values.since === undefined ? undefined : parseIsoTime('--since', values.since)
  const redrive = values.redrive === undefined ? undefined : parseIsoTime('--redrive', values.redrive)
  const interval = values.interval === undefined ? DEFAULT_INTERVAL_SECONDS : parseSeconds('--interval', values.interval, 1)
  const lookback = values.lookback === undefined ? undefined : parseSeconds('--lookback', values.lookback, 0)
  if (values.state !== undefined && !values.state.trim()) throw new UsageError('--state needs a file path.')
  const pageSizeArg = values['page-size']
  if (pageSizeArg !== undefined && !(/^\d+$/.test(pageSizeArg.trim()) && +pageSizeArg >= 1 && +pageSizeArg <= 1000)) throw new UsageError(`--page-size: "${pageSizeArg}" is not a whole number from 1 to 1000.`)

  const relay = makeRelay(io, { region: values.region }, { statePath: values.state, lookbackSeconds: lookback, pageSize: pageSizeArg === undefined ? undefined : Number(pageSizeArg), machineOpens: values['drop-machine-opens'] ? 'drop' : undefined })
  // On a terminal only: events, rate and cursor while a long poll runs.
  const progress = io.status ? createPollProgress(io.status) : undefined
  let signalled = false
  const release = onStopSignal(io, relay, undefined, () => {
    signalled = true
    progress?.clear()
  })
  try {
    if (redrive) {
      const summary = await relay.redrive({
        from: redrive,
        onPlan: (plan) => {
          const to = plan.windows.length ? new Date(Math.max(...plan.windows.map((w) => w.toMs))).toISOString() : 'the saved cursor'
          io.out(`relay: re-driving ${plan.events} event(s) from ${redrive.toISOString()} to ${to} (the saved cursor stays where it is)`)
          if (!plan.windows.length) io.out('relay: nothing to re-drive: no metric in the state file has a cursor after that time.')
          const dayAgo = Date.now() - 24 * 3600_000
          if (plan.events && redrive.getTime() < dayAgo) {
            io.err('relay: warning: Segment drops repeated messageIds for about 24 hours only (segment-docs, guides/duplicate-data); ' + 'events older than that arrive a second time in every destination except warehouses, which deduplicate on messageId.')
          }
        },
      })
      io.out(formatSummary(summary))
      if (summary.refused) throw new SegmentRefusedError(summary.refused, summary.refusals)
    } else if (values.once) {
      const summary = await relay.pollOnce({ since, onProgress: progress?.update })
      progress?.clear()
      io.out(formatSummary(summary))
      if (summary.refused) throw new SegmentRefusedError(summary.refused, summary.refusals)
    } else {
      await relay.follow({
        since,
        intervalSeconds: interval,
        onProgress: progress?.update,
        onPoll: (s: PollSummary) => {
          progress?.clear()
          io.out(`${new Date().toISOString()} ${formatSummary(s)}`)
          if (s.refused) io.err(`${new Date().toISOString()} ${new SegmentRefusedError(s.refused, s.refusals).message}`)
        },
        onError: (e) => {
          progress?.clear()
          io.err(`${new Date().toISOString()} poll failed, retrying in ${interval}s: ${e.message}`)
        },
      })
    }
  } catch (err) {
    progress?.clear()
    // Stopping cuts retries short; what was not accepted is still behind the cursor: a clean stop.
    if (!(signalled && isTransient(err))) throw err
    io.err(`relay: stopped before Segment or Klaviyo answered (${(err as Error).message}); the next run continues from the saved state.`)
  } finally {
    await relay.stop()
    release()
  }
  return 0
}

async function serve(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    'drop-machine-opens': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.help) {
    io.out(SERVE_HELP)
    return 0
  }
  const port = values.port === undefined ? DEFAULT_PORT : portNumber(values.port)
  const relay = makeRelay(io, {}, { machineOpens: values['drop-machine-opens'] ? 'drop' : undefined })
  let server
  try {
    server = await relay.serve({ port, host: values.host })
  } catch (err) {
    await relay.stop()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${port} is already in use; pick another with --port.`)
    throw err
  }
  io.out(`relay: listening on ${server.url} for webhooks (GET /healthz for health checks)`)
  // The same doubts relay check reports; any non-empty secret is used all the same.
  for (const warning of shopifySecretWarnings(readRelaySettings(io.env).shopifyWebhookSecrets)) io.err(`relay: warning: ${warning}`)
  await new Promise<void>((resolve) => {
    const release = onStopSignal(io, relay, () => {
      release()
      resolve()
    })
  })
  await relay.stop()
  io.out('relay: stopped')
  return 0
}

async function check(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { region: { type: 'string' }, help: { type: 'boolean', short: 'h' } })
  if (values.help) {
    io.out(CHECK_HELP)
    return 0
  }
  const relay = relayOptionsFromEnv(io.env, { region: values.region })
  const shopify = io.env.SHOPIFY_WEBHOOK_SECRET
  const report = await checkRelay({ relay, shopifyWebhookSecret: shopify === undefined ? undefined : shopify })
  for (const line of formatCheckReport(report)) io.out(line)
  return report.exitCode
}

/** The relay of one command: the settings read once from the environment and the flags, plus the command's own options. */
function makeRelay(io: CliIO, flags: SettingFlags, extra: Partial<RelayOptions>): Relay {
  const opts: RelayOptions = { ...relayOptionsFromEnv(io.env, flags), log: (line) => io.out(line) }
  if (extra.statePath) opts.statePath = extra.statePath
  if (extra.lookbackSeconds !== undefined) opts.lookbackSeconds = extra.lookbackSeconds
  if (extra.pageSize !== undefined) opts.pageSize = extra.pageSize
  if (extra.machineOpens !== undefined) opts.machineOpens = extra.machineOpens
  return createRelay(opts)
}

/**
 * First SIGINT/SIGTERM: stop gracefully (the page in flight is finished and the state saved).
 * A second one exits at once, for the operator who really means it.
 */
function onStopSignal(io: CliIO, relay: Relay, after?: () => void, onFirst?: () => void): () => void {
  let count = 0
  const handler = (signal: NodeJS.Signals) => {
    count++
    if (count === 1) {
      onFirst?.()
      io.err(`relay: ${signal} received, finishing the batch in flight…`)
      void relay.stop().then(after, after)
    } else {
      io.err(`relay: ${signal} received again, exiting now`)
      io.exit(130)
    }
  }
  io.onSignal('SIGINT', handler)
  io.onSignal('SIGTERM', handler)
  return () => {
    io.offSignal('SIGINT', handler)
    io.offSignal('SIGTERM', handler)
  }
}

function parse<T extends OptionSpec>(args: string[], options: T) {
  return { values: parseOptions(args, options) }
}

function portNumber(v: string): number {
  const n = Number(v)
  if (!/^\d+$/.test(v.trim()) || n > 65535) throw new UsageError(`--port: "${v}" is not a port number (0–65535).`)
  return n
}

function report(err: unknown, io: CliIO): number {
  if (err instanceof ConfigError) {
    io.err(`mailstitch relay: ${err.message}`)
    return EXIT_CODES.usage
  }
  if (err instanceof RelayError) {
    io.err(`mailstitch relay: ${err.message}`)
    return err.exitCode
  }
  io.err(`mailstitch relay: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  return 1
}
