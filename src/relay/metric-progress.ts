/**
 * One metric's poll progress (the cursor and the ids accepted inside the overlap window after it),
 * and what the poll loop saves it through. Pure ES with no Node API, so the same loop runs in the
 * CLI (state.ts: a JSON file) and on Cloudflare Workers (src/webhook/poll-state.ts: a Durable Object).
 */

/** On-disk form of one metric's progress. */
export interface MetricStateJson {
  /** Klaviyo metric name, for humans reading the file. */
  name: string
  /** ISO time: every event of this metric before it has been accepted by Segment. */
  cursor: string
  /** Accepted event id → event time (epoch ms), for events at or after `cursor - lookback`. */
  seen: Record<string, number>
}

/** In-memory progress of one metric; see the module comment for the invariant it keeps. */
export class MetricProgress {
  readonly metricId: string
  name: string
  /** Epoch ms, or undefined before the first completed page. */
  cursor: number | undefined
  private readonly seen: Map<string, number>

  constructor(metricId: string, name: string, cursor?: number, seen?: Map<string, number>) {
    this.metricId = metricId
    this.name = name
    this.cursor = cursor
    this.seen = seen ?? new Map()
  }

  /** True when Segment already accepted this event id. */
  has(eventId: string): boolean {
    return this.seen.has(eventId)
  }

  /** Record that Segment accepted the event. */
  ack(eventId: string, timeMs: number): void {
    this.seen.set(eventId, timeMs)
  }

  /** Number of ids kept in the overlap window. */
  get seenCount(): number {
    return this.seen.size
  }

  /**
   * Move the cursor forward (never back) and forget ids older than `cursor - lookbackMs`,
   * which no later poll will read again. This is what keeps memory flat on long backfills.
   */
  advance(cursorMs: number, lookbackMs: number): void {
    if (this.cursor !== undefined && cursorMs <= this.cursor) return
    this.cursor = cursorMs
    const horizon = cursorMs - lookbackMs
    for (const [id, t] of this.seen) if (t < horizon) this.seen.delete(id)
  }

  toJSON(): MetricStateJson {
    const seen: Record<string, number> = {}
    for (const [id, t] of this.seen) seen[id] = t
    return { name: this.name, cursor: new Date(this.cursor ?? 0).toISOString(), seen }
  }
}

/** Where the poll loop loads and saves its progress (the CLI's state file, the Worker's Durable Object). */
export interface ProgressStore {
  /** Where the progress is kept (a file's path, a Durable Object's binding), named in messages. */
  readonly path: string
  /** The saved progress by Klaviyo metric id; empty when nothing was saved yet. */
  load(): Promise<Map<string, MetricProgress>>
  /** Save every metric that has a cursor; resolves once the save is durable. */
  save(metrics: Iterable<MetricProgress>): Promise<void>
}
