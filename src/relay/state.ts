/**
 * Poll state: per Klaviyo metric, the cursor (every event up to this time has been accepted by
 * Segment) and the ids already accepted inside the overlap window after it. Polls re-read from
 * `cursor - lookback` to catch events Klaviyo ingests late; the seen ids stop those re-reads from
 * sending anything twice. Written atomically (temp file + fsync + rename) so a crash leaves either
 * the old or the new state, never a torn file.
 */
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, open, readFile, readlink, realpath, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { StateFileError } from './errors'
import { MetricProgress, type MetricStateJson } from './metric-progress'

export { MetricProgress, type MetricStateJson }

/** State file used when `--state` / `statePath` is not given (relative to the working directory). */
export const DEFAULT_STATE_PATH = '.mailstitch-state.json'

/** Mode of a state file this relay creates (less the umask); an existing file keeps its own. */
const NEW_FILE_MODE = 0o644

/**
 * The real path of a state file: symlinks followed (a dangling one to the file it will create),
 * so a lock and a write through a symlink land on the same file as through its target.
 */
export async function realStatePath(path: string): Promise<string> {
  let current = resolve(path)
  for (let hops = 0; hops < 40; hops++) {
    try {
      return await realpath(current)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    const link = await lstat(current).catch(() => undefined)
    if (link?.isSymbolicLink()) {
      current = resolve(dirname(current), await readlink(current))
      continue
    }
    // Not there yet: the real path of its directory (which may not exist yet either), plus its name.
    const parent = dirname(current)
    if (parent === current) return current
    return join(await realStatePath(parent), basename(current))
  }
  throw Object.assign(new Error(`too many levels of symbolic links at ${current}`), { code: 'ELOOP' })
}

/** On-disk form of the whole state file. */
export interface RelayStateJson {
  version: 1
  updatedAt: string
  /** Keyed by Klaviyo metric id. */
  metrics: Record<string, MetricStateJson>
}

/** Loads and atomically saves the relay state file. */
export class StateStore {
  /** The path as given (resolved against the working directory), for messages. */
  readonly path: string
  private saving: Promise<void> = Promise.resolve()
  private real: string | undefined

  constructor(path: string = DEFAULT_STATE_PATH) {
    this.path = resolve(path)
  }

  /** Read the state; a missing file is an empty state, a corrupt one is an error (never silently reset). */
  async load(): Promise<Map<string, MetricProgress>> {
    this.real = undefined // a symlink may have been re-pointed since the last load
    let text: string
    try {
      text = await readFile(await this.realPath(), 'utf8')
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

  /** The file actually read and written: {@link realStatePath} of {@link path}. */
  async realPath(): Promise<string> {
    if (this.real) return this.real
    try {
      this.real = await realStatePath(this.path)
    } catch (err) {
      throw new StateFileError(this.path, `cannot resolve it (${(err as Error).message})`, err)
    }
    return this.real
  }

  private async writeAtomic(text: string): Promise<void> {
    // Written next to the real file and renamed over it: a symlink stays a symlink.
    const target = await this.realPath()
    const dir = dirname(target)
    const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await mkdir(dir, { recursive: true })
      const kept = await stat(target).then(
        (st) => st.mode & 0o7777,
        () => undefined,
      )
      const fh = await open(tmp, 'w', kept === undefined ? NEW_FILE_MODE : 0o600)
      try {
        await fh.writeFile(text, 'utf8')
        if (kept !== undefined) await fh.chmod(kept) // the file keeps its mode (0444, 0600...), whatever the umask
        await fh.sync() // the rename must never expose a file whose bytes are not on disk yet
      } finally {
        await fh.close()
      }
      await rename(tmp, target)
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
  if (!isPlainObject(json)) throw new StateFileError(path, `does not hold a state object (found ${kindOf(json)}).`)
  const { version, metrics } = json
  if (version !== 1) throw new StateFileError(path, `has unsupported version ${JSON.stringify(version)}; expected 1.`)
  if (!isPlainObject(metrics)) throw new StateFileError(path, wrongType('metrics', 'an object keyed by Klaviyo metric id', metrics))
  for (const [id, m] of Object.entries(metrics)) {
    const field = `metrics.${id}`
    if (!isPlainObject(m)) throw new StateFileError(path, wrongType(field, 'an object', m))
    const cursor = typeof m.cursor === 'string' ? Date.parse(m.cursor) : NaN
    if (Number.isNaN(cursor)) throw new StateFileError(path, wrongType(`${field}.cursor`, 'an ISO time', m.cursor))
    if (m.name !== undefined && typeof m.name !== 'string') throw new StateFileError(path, wrongType(`${field}.name`, 'a string', m.name))
    const seen = new Map<string, number>()
    if (m.seen !== undefined) {
      if (!isPlainObject(m.seen)) throw new StateFileError(path, wrongType(`${field}.seen`, 'an object of event id → epoch ms', m.seen))
      for (const [eid, t] of Object.entries(m.seen)) {
        if (typeof t !== 'number' || !Number.isFinite(t)) throw new StateFileError(path, wrongType(`${field}.seen.${eid}`, 'a time in epoch ms', t))
        seen.set(eid, t)
      }
    }
    out.set(id, new MetricProgress(id, typeof m.name === 'string' ? m.name : id, cursor, seen))
  }
  return out
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${JSON.stringify(v).slice(0, 40)}`
}

/** Why a field is refused, and what to do: a rewrite would re-send the lookback window, so the poll stops instead. */
function wrongType(field: string, expected: string, found: unknown): string {
  return `field "${field}" must be ${expected}, found ${kindOf(found)}. Fix the file or restore it from a backup; nothing was sent.`
}
