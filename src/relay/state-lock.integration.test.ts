import { spawnSync } from 'node:child_process'
import { mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { useTempDir } from '../../test/helpers/temp-dir'
import { EXIT_CODES, StateLockedError } from './errors'
import { LOCK_STALE_MS, StateLock } from './state-lock'

const tmp = useTempDir('mst-lock-')
const statePath = () => tmp.file('state.json')

/** The pid of a process that has exited (so it certainly does not exist any more). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

describe('StateLock', () => {
  it('lets one holder in and refuses a second one with the owner named and exit code 5', async () => {
    const first = new StateLock(statePath())
    await first.acquire()
    expect(first.isHeld).toBe(true)
    expect(JSON.parse(await readFile(`${statePath()}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() })
    const second = new StateLock(statePath())
    const err = await second.acquire().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StateLockedError)
    expect((err as StateLockedError).exitCode).toBe(5)
    expect(EXIT_CODES.state_locked).toBe(5)
    expect((err as Error).message).toMatch(new RegExp(`in use by another relay poll \\(pid ${process.pid} on `))
    expect((err as Error).message).toMatch(/its own --state/)
    await first.release()
    await second.acquire()
    expect(second.isHeld).toBe(true)
    await second.release()
  })

  it('locks the real path: a second poller reaching the same file through a symlink is refused', async () => {
    await mkdir(tmp.file('real'))
    await symlink(tmp.file('real'), tmp.file('dirlink'))
    await symlink(tmp.file('real', 'state.json'), tmp.file('link.json'))
    const direct = new StateLock(tmp.file('real', 'state.json'))
    await direct.acquire()
    for (const other of [tmp.file('link.json'), tmp.file('dirlink', 'state.json')]) {
      const viaLink = new StateLock(other)
      await expect(viaLink.acquire()).rejects.toBeInstanceOf(StateLockedError)
      expect(viaLink.isHeld).toBe(false)
    }
    expect(direct.path.endsWith('/real/state.json.lock')).toBe(true)
    await direct.release()
    const viaLink = new StateLock(tmp.file('link.json'))
    await viaLink.acquire()
    expect(viaLink.path).toBe(direct.path)
    await expect(new StateLock(tmp.file('real', 'state.json')).acquire()).rejects.toBeInstanceOf(StateLockedError)
    await viaLink.release()
  })

  it('release removes only its own lock file', async () => {
    const a = new StateLock(statePath())
    await a.acquire()
    await a.release()
    await expect(stat(`${statePath()}.lock`)).rejects.toMatchObject({ code: 'ENOENT' })
    // A lock someone else holds is left alone by a holder that lost it.
    const b = new StateLock(statePath())
    await b.acquire()
    await writeFile(`${statePath()}.lock`, JSON.stringify({ pid: 1, host: 'other', startedAt: 'x', token: 'theirs' }))
    await b.release()
    expect(JSON.parse(await readFile(`${statePath()}.lock`, 'utf8')).token).toBe('theirs')
  })

  it('takes over a lock whose owner on this host has died (e.g. SIGKILL), and says so', async () => {
    const pid = deadPid()
    await writeFile(`${statePath()}.lock`, JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00Z', token: 'dead' }))
    const lines: string[] = []
    const lock = new StateLock(statePath(), { log: (l) => lines.push(l) })
    await lock.acquire()
    expect(lines.join('\n')).toMatch(new RegExp(`took over the stale lock .* of pid ${pid}`))
    expect(JSON.parse(await readFile(`${statePath()}.lock`, 'utf8')).pid).toBe(process.pid)
    await lock.release()
  })

  it('respects a fresh lock of another host, and takes it over once it has not been touched for the stale period', async () => {
    await writeFile(`${statePath()}.lock`, JSON.stringify({ pid: 4242, host: 'pod-a', startedAt: '2026-01-01T00:00:00Z', token: 'pod-a' }))
    await expect(new StateLock(statePath()).acquire()).rejects.toBeInstanceOf(StateLockedError)
    const old = new Date(Date.now() - LOCK_STALE_MS - 5_000)
    await utimes(`${statePath()}.lock`, old, old)
    const lock = new StateLock(statePath())
    await lock.acquire()
    expect(lock.isHeld).toBe(true)
    await lock.release()
  })

  it('judges a half-written lock file by its age alone', async () => {
    await writeFile(`${statePath()}.lock`, '{"pid":')
    await expect(new StateLock(statePath()).acquire()).rejects.toBeInstanceOf(StateLockedError)
    const old = new Date(Date.now() - LOCK_STALE_MS - 5_000)
    await utimes(`${statePath()}.lock`, old, old)
    const lock = new StateLock(statePath())
    await lock.acquire()
    await lock.release()
  })
})
