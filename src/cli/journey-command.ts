/**
 * `mailstitch journey <file.jsonl>`: the journey viewer's picture in the terminal, from Segment
 * events as JSON lines (what the sandbox collector writes, or a warehouse export). Malformed
 * lines are reported on stderr with their line number and skipped; the command never crashes
 * on bad input.
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import type { CliIO, Command } from './io'
import { readJsonlLine, type InputProblem, type JEvent } from '../journey/events'
import { compareJourneys } from '../journey/model'
import { clean, formatComparison } from '../journey/format'

const HELP = `Usage: mailstitch journey <file.jsonl | -> [options]

Print each visitor's journey (web events and relayed Klaviyo email events in time order), the
stitch points, first/last-touch attribution of every Order Completed, and the same events as
they would look without mailstitch (email events orphaned, a second device a stranger).

Input: Segment events, one JSON object per line (the demo writes .sandbox/events.jsonl; "-" reads stdin).

  --visitor <id>   only this anonymousId (and, without mailstitch, the visitors its events fall to)
  --with           only the view with mailstitch
  --without        only the view without mailstitch
  --json           print the model as JSON instead of text
  --site-host <host>   a host of the store itself (repeatable): a referrer there is not a referral
                   (default: every host the events' pages were on)
  --color / --no-color   force colours on or off (default: on for a terminal, off with NO_COLOR)
  -h, --help       this help

Exit codes: 0 ok (malformed lines are reported and skipped), 1 the file cannot be read, 2 usage.`

/** Lines reported individually before the rest are only counted. */
const MAX_REPORTED = 20

/** Read events from a stream of JSON lines, reporting problems as they come. */
async function readJsonlStream(input: Readable, onProblem: (p: InputProblem) => void): Promise<{ events: JEvent[]; problems: number; lines: number }> {
  const rl = createInterface({ input, crlfDelay: Infinity })
  const events: JEvent[] = []
  let problems = 0
  let lineNo = 0
  for await (const raw of rl) {
    lineNo++
    const r = readJsonlLine(raw, lineNo, events.length)
    if (!r) continue
    if ('message' in r) {
      problems++
      onProblem(r)
    } else {
      events.push(r)
    }
  }
  return { events, problems, lines: lineNo }
}

export interface JourneyRunOptions {
  /** Whether stdout is a terminal (colour default). */
  isTTY?: boolean
  /** stdin for "-". */
  stdin?: Readable
}

/** Run `mailstitch journey` with the arguments after `journey`; resolves to the exit code. */
export async function runJourney(argv: string[], io: CliIO, o: JourneyRunOptions = {}): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        visitor: { type: 'string' },
        with: { type: 'boolean' },
        without: { type: 'boolean' },
        json: { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        'site-host': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (err) {
    io.err(`mailstitch journey: ${clean(err instanceof Error ? err.message : String(err), 300)}\n\n${HELP}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    io.out(HELP)
    return 0
  }
  if (positionals.length !== 1) {
    io.err(`mailstitch journey: ${positionals.length ? 'give exactly one file' : 'which file? e.g. mailstitch journey .sandbox/events.jsonl'}\n\n${HELP}`)
    return 2
  }
  const file = positionals[0]!
  let input: Readable
  if (file === '-') {
    input = o.stdin ?? process.stdin
  } else {
    input = createReadStream(file)
  }
  const shown = file === '-' ? 'stdin' : file
  let reported = 0
  let result: Awaited<ReturnType<typeof readJsonlStream>>
  try {
    result = await readJsonlStream(input, (p) => {
      if (++reported <= MAX_REPORTED) io.err(`${clean(shown, 200)}:${p.line}: ${clean(p.message, 200)}, skipped`)
    })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.code === 'EACCES' ? 'permission denied' : e.message
    io.err(`mailstitch journey: cannot read ${clean(shown, 200)}: ${clean(why, 200)}`)
    return 1
  }
  if (result.problems > MAX_REPORTED) io.err(`${clean(shown, 200)}: ${result.problems - MAX_REPORTED} more bad lines skipped`)

  const comparison = compareJourneys(result.events, values['site-host'] ? { siteHosts: values['site-host'] } : {})
  if (values.json) {
    io.out(JSON.stringify(comparison, null, 2))
    return 0
  }
  if (!result.events.length) {
    io.out(`mailstitch journey: no events in ${clean(shown, 200)}${result.problems ? ` (${result.problems} bad line${result.problems === 1 ? '' : 's'} skipped)` : ''}`)
    return 0
  }
  const color = values['no-color'] ? false : values.color ? true : !!o.isTTY && !io.env.NO_COLOR
  const views: Array<'with' | 'without'> = values.with && !values.without ? ['with'] : values.without && !values.with ? ['without'] : ['with', 'without']
  for (const line of formatComparison(comparison, { color, source: shown, views, visitor: values.visitor })) io.out(line)
  if (result.problems) io.err(`(${result.problems} bad line${result.problems === 1 ? '' : 's'} skipped)`)
  return 0
}

let pipeGuarded = false

/** `mailstitch journey … | head`: a reader that goes away early ends us quietly, not with an EPIPE trace. */
function guardPipe(): void {
  if (pipeGuarded) return
  pipeGuarded = true
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0)
    throw e
  })
}

/** The `journey` row of the `mailstitch` CLI's command table. */
export const journeyCommand: Command = {
  summary: 'Print visitor journeys and email attribution from Segment events (JSON lines)',
  run: (args, io) => {
    guardPipe()
    return runJourney(args, io, { isTTY: !!process.stdout.isTTY })
  },
}
