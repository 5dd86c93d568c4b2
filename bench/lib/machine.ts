import { execFileSync } from 'node:child_process'
import os from 'node:os'

export interface Machine { cpu: string; cores: number; ramGb: number; node: string; chromium: string; os: string; date: string; loadStart: number[]; source: string }

export function machine(chromium: string, loadStart: number[]): Machine {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model?.trim() || 'unknown',
    cores: cpus.length,
    ramGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    chromium,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadStart,
    source: source(),
  }
}

/** Which code was measured: the commit, and whether src/ had uncommitted edits (built as they were). */
function source(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).split('\n').filter(Boolean).length
    return dirty ? `${head} + ${dirty} uncommitted file(s) in src/ (built as found)` : `${head} (src/ clean)`
  } catch {
    return 'unknown (not a git checkout)'
  }
}
