/**
 * The progress line of a long `relay poll` on a terminal: events read and sent, the rate, and how
 * far the cursor has come, rewritten in place on stderr. Only where stderr is a terminal (the CLI
 * gives no status writer otherwise): cron mail, CI logs and pipes get the one summary line only.
 */
import type { PollProgress } from '../relay/poll'

/** Tuning of {@link createPollProgress}. */
export interface PollProgressOptions {
  /** Nothing is shown for a poll shorter than this, ms. Default 1000. */
  quietForMs?: number
  /** At most one redraw per this many ms. Default 250. */
  everyMs?: number
  now?: () => number
}

/** Feeds the line from a poll's progress; `clear()` before the poll's summary is printed. */
export interface PollProgressLine {
  update(progress: PollProgress): void
  /** Remove the line (if shown) and start afresh for the next poll. */
  clear(): void
}

const count = (n: number) => n.toLocaleString('en-US')

/** The line's text: `relay: 12,000 events read (11,950 sent, 50 skipped) · 2,400 events/s · Opened Email up to 2026-03-01T10:22:05Z`. */
export function formatPollProgress(p: PollProgress, eventsPerSecond: number): string {
  return `relay: ${count(p.fetched)} events read (${count(p.sent)} sent, ${count(p.skipped)} skipped) · ${count(Math.round(eventsPerSecond))} events/s · ${p.metric} up to ${p.cursor.replace(/\.000Z$/, 'Z')}`
}

/** A progress line written with `status` (which rewrites the terminal's current line). */
export function createPollProgress(status: (line: string) => void, options: PollProgressOptions = {}): PollProgressLine {
  const now = options.now ?? Date.now
  const quietForMs = options.quietForMs ?? 1000
  const everyMs = options.everyMs ?? 250
  // The rate is measured from the first page of the poll: the time before it (metrics look-up,
  // the --follow pause) is not reading.
  let first: { at: number; fetched: number } | undefined
  let drawnAt: number | undefined
  return {
    update(p) {
      const t = now()
      if (!first) {
        first = { at: t, fetched: p.fetched }
        return
      }
      if (t - first.at < quietForMs) return
      if (drawnAt !== undefined && t - drawnAt < everyMs) return
      drawnAt = t
      status(formatPollProgress(p, ((p.fetched - first.fetched) * 1000) / (t - first.at)))
    },
    clear() {
      if (drawnAt !== undefined) status('')
      first = undefined
      drawnAt = undefined
    },
  }
}
