/**
 * Poll state: per Klaviyo metric, the cursor (every event up to this time has been accepted by
 * Segment) and the ids already accepted inside the overlap window after it. Polls re-read from
 * `cursor - lookback` to catch events Klaviyo ingests late; the seen ids stop those re-reads from
 * sending anything twice. Written atomically (temp file + fsync + rename) so a crash leaves either
 * the old or the new state, never a torn file.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { StateFileError } from './errors'
import { MetricProgress, type MetricStateJson } from './metric-progress'

export { MetricProgress, type MetricStateJson }

/** State file used when `--state` / `statePath` is not given (relative to the working directory). */
export const DEFAULT_STATE_PATH = '.mailstitch-state.json'

/** On-disk form of the whole state file. */
export interface RelayStateJson {
  version: 1
  updatedAt: string
  /** Keyed by Klaviyo metric id. */
  metrics: Record<string, MetricStateJson>
}

/** Loads and atomically saves the relay state file. */
export class StateStore {
  readonly path: string
  private saving: Promise<void> = Promise.resolve()

  constructor(path: string = DEFAULT_STATE_PATH) {
    this.path = resolve(path)
  }

  /** Read the state; a missing file is an empty state, a corrupt one is an error (never silently reset). */
  async load(): Promise<Map<string, MetricProgress>> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
      throw new StateFileError(this.path, `cannot read it (${(err as Error).message})`, err)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new StateFileError(this.path, 'is not valid JSON. Fix or delete it (deleting re-reads from --since or the last 10 minutes).', err)
    }
    return parseState(json, this.path)
  }

  /** Write the state atomically. Calls are serialised, so the last call's content wins. */
  save(metrics: Iterable<MetricProgress>): Promise<void> {
    const data: RelayStateJson = { version: 1, updatedAt: new Date().toISOString(), metrics: {} }
    for (const m of metrics) if (m.cursor !== undefined) data.metrics[m.metricId] = m.toJSON()
    const text = JSON.stringify(data, null, 1) + '\n'
    const next = this.saving.then(() => this.writeAtomic(text))
    this.saving = next.catch(() => undefined)
    return next
  }

  private async writeAtomic(text: string): Promise<void> {
    const dir = dirname(this.path)
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await mkdir(dir, { recursive: true })
      const fh = await open(tmp, 'w', 0o644)
      try {
        await fh.writeFile(text, 'utf8')
        await fh.sync() // the rename must never expose a file whose bytes are not on disk yet
      } finally {
        await fh.close()
      }
      await rename(tmp, this.path)
    } catch (err) {
      await unlink(tmp).catch(() => undefined)
      throw new StateFileError(this.path, `cannot write it (${(err as Error).message})`, err)
    }
    // Persist the rename itself; best effort because not every platform can fsync a directory.
    try {
      const dh = await open(dir, 'r')
      try {
        await dh.sync()
      } finally {
        await dh.close()
      }
    } catch {
      /* ignore */
    }
  }
}

function parseState(json: unknown, path: string): Map<string, MetricProgress> {
  const out = new Map<string, MetricProgress>()
  if (!json || typeof json !== 'object') throw new StateFileError(path, 'does not hold a state object.')
  const { version, metrics } = json as { version?: unknown; metrics?: unknown }
  if (version !== 1) throw new StateFileError(path, `has unsupported version ${JSON.stringify(version)}; expected 1.`)
  if (!metrics || typeof metrics !== 'object') throw new StateFileError(path, 'has no "metrics" object.')
  for (const [id, raw] of Object.entries(metrics as Record<string, unknown>)) {
    const m = raw as Partial<MetricStateJson> | null
    const cursor = typeof m?.cursor === 'string' ? Date.parse(m.cursor) : NaN
    if (!m || Number.isNaN(cursor)) throw new StateFileError(path, `metric ${id} has no valid "cursor".`)
    const seen = new Map<string, number>()
    if (m.seen && typeof m.seen === 'object') {
      for (const [eid, t] of Object.entries(m.seen)) if (typeof t === 'number') seen.set(eid, t)
    }
    out.set(id, new MetricProgress(id, typeof m.name === 'string' ? m.name : id, cursor, seen))
  }
  return out
}
