/**
 * One poller per state file. Two pollers sharing a state file would both read the same windows and
 * both send them (and overwrite each other's cursor), so the second one must stop at once.
 *
 * The lock is a file next to the state's real path (`<real state>.lock`: two pollers reaching one
 * file through a symlink and through its target share one lock), created with O_EXCL and holding who owns
 * it. The owner touches it every {@link LOCK_REFRESH_MS}; a lock is stale (taken over, with a
 * warning) when its owner is a process of this host that no longer exists, or when it has not been
 * touched for {@link LOCK_STALE_MS} (an owner on another host that died, e.g. a rescheduled
 * Kubernetes pod writing to the same persistent volume).
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises'
import { dirname } from 'node:path'
import { StateFileError, StateLockedError } from './errors'
import { realStatePath } from './state'

/** How often the owner touches its lock file. */
const LOCK_REFRESH_MS = 30_000
/** A lock not touched for this long is stale whoever owns it. */
export const LOCK_STALE_MS = 120_000

/** Contents of a lock file. */
export interface LockOwner {
  pid: number
  host: string
  startedAt: string
  token: string
}

/** Options of {@link StateLock}. */
export interface StateLockOptions {
  /** Told when a stale lock is taken over. */
  log?: (line: string) => void
  /** Clock in epoch ms (tests). Default Date.now. */
  now?: () => number
}

/** The lock of one state file. */
export class StateLock {
  private lockPath: string
  private readonly statePath: string
  private readonly owner: LockOwner
  private readonly o: StateLockOptions
  private timer: ReturnType<typeof setInterval> | undefined
  private held = false

  constructor(statePath: string, options: StateLockOptions = {}) {
    this.statePath = statePath
    this.lockPath = `${statePath}.lock`
    this.o = options
    this.owner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), token: randomBytes(8).toString('hex') }
  }

  /** Path of the lock file: beside the state file's real path once {@link acquire} resolved it. */
  get path(): string {
    return this.lockPath
  }

  /** True while this instance holds the lock. */
  get isHeld(): boolean {
    return this.held
  }

  /** Take the lock, or throw {@link StateLockedError} naming the live owner. */
  async acquire(): Promise<void> {
    if (this.held) return
    try {
      this.lockPath = `${await realStatePath(this.statePath)}.lock`
    } catch (err) {
      throw new StateFileError(this.statePath, `cannot resolve it (${(err as Error).message})`, err)
    }
    await mkdir(dirname(this.path), { recursive: true }).catch(() => undefined)
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.tryCreate()) {
        this.held = true
        this.timer = setInterval(() => void utimes(this.path, new Date(), new Date()).catch(() => undefined), LOCK_REFRESH_MS)
        this.timer.unref()
        return
      }
      const current = await this.readOwner()
      if (!current) continue // removed (or half-written) meanwhile: try again
      if (!(await this.isStale(current.owner, current.mtimeMs))) throw new StateLockedError(this.statePath, this.path, current.owner)
      await this.removeStale(current.text)
      this.o.log?.(`relay: took over the stale lock ${this.path} of pid ${current.owner.pid} on ${current.owner.host} (started ${current.owner.startedAt})`)
    }
    const current = await this.readOwner()
    throw new StateLockedError(this.statePath, this.path, current?.owner ?? { pid: 0, host: 'unknown', startedAt: 'unknown', token: '' })
  }

  /** Give the lock up (only if it is still ours). */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    if (!this.held) return
    this.held = false
    const current = await this.readOwner()
    if (current?.owner.token === this.owner.token) await unlink(this.path).catch(() => undefined)
  }

  private async tryCreate(): Promise<boolean> {
    let fh
    try {
      fh = await open(this.path, 'wx', 0o644)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw new StateFileError(this.statePath, `cannot create its lock file ${this.path} (${(err as Error).message})`, err)
    }
    try {
      await fh.writeFile(JSON.stringify(this.owner) + '\n', 'utf8')
      await fh.sync()
    } finally {
      await fh.close()
    }
    return true
  }

  private async readOwner(): Promise<{ owner: LockOwner; text: string; mtimeMs: number } | undefined> {
    let text: string
    let mtimeMs: number
    try {
      ;[text, mtimeMs] = await Promise.all([readFile(this.path, 'utf8'), stat(this.path).then((st) => st.mtimeMs)])
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new StateFileError(this.statePath, `cannot read its lock file ${this.path} (${(err as Error).message})`, err)
    }
    let parsed: Partial<LockOwner> | null = null
    try {
      parsed = JSON.parse(text) as Partial<LockOwner>
    } catch {
      /* written half-way by a process killed mid-write: judged by its age alone */
    }
    if (!parsed || typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') {
      return { owner: { pid: 0, host: 'unknown', startedAt: 'unknown', token: '' }, text, mtimeMs }
    }
    return { owner: { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt), token: String(parsed.token) }, text, mtimeMs }
  }

  private async isStale(owner: LockOwner, mtimeMs: number): Promise<boolean> {
    const now = this.o.now?.() ?? Date.now()
    if (now - mtimeMs > LOCK_STALE_MS) return true
    if (owner.host === this.owner.host && owner.pid > 0) return !processExists(owner.pid)
    return false
  }

  /**
   * Remove a stale lock without removing a fresh one another process created meanwhile: move it
   * aside first (atomic), and put it back if what was moved is not the lock judged stale.
   */
  private async removeStale(staleText: string): Promise<void> {
    const aside = `${this.path}.${randomBytes(4).toString('hex')}.stale`
    try {
      await rename(this.path, aside)
    } catch {
      return // gone already
    }
    const moved = await readFile(aside, 'utf8').catch(() => '')
    if (moved !== staleText) {
      await rename(aside, this.path).catch(() => undefined)
      return
    }
    await unlink(aside).catch(() => undefined)
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
