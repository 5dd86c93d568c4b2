/**
 * The build issue 19 is held against ("start-up, submit, delivery and size rows no worse than
 * today"): b4d95c3, the code docs/benchmarks.md measured at 3f9aaec. Its figures from that day
 * cannot be compared with a later run on this host, whose speed drifts from run to run (the bare
 * page's main thread went from 265 ms to 418 ms), so rows 2, 3 and 4 load that build too, in the
 * same run, beside today's. Built from git into dist/previous/ (served by the site like dist/), with
 * this checkout's node_modules.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')

/** The commit of "today" in issue 19 (override: BENCH_PREVIOUS_REF). */
export const PREVIOUS_REF = process.env.BENCH_PREVIOUS_REF || 'b4d95c3'

/** Where the previous build's core is served: a script tag's `src` for it. */
export const PREVIOUS_CORE = '/dist/previous/mailstitch.min.js'

/** A script tag of today's build, pointed at the previous build's core (the data-* options are pinned names, the same in both). */
export function previousTag(tag: string): string {
  const previous = tag.replace('/dist/mailstitch.min.js', PREVIOUS_CORE)
  if (previous === tag) throw new Error(`previous build: no /dist/mailstitch.min.js in ${tag}`)
  return previous
}

let built = false

/**
 * Build PREVIOUS_REF's browser files (the core and the runner it loads from beside itself) into
 * dist/previous/, once per process. Throws when it cannot (a checkout without that commit, e.g. a
 * shallow clone): the rows that compare say so instead of leaving the comparison out.
 */
export function buildPrevious(): void {
  if (built) return
  const work = mkdtempSync(join(tmpdir(), 'mailstitch-previous-'))
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, stdio: 'pipe' })
  try {
    git('worktree', 'add', '--detach', work, PREVIOUS_REF)
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'))
    execFileSync(process.execPath, [join(ROOT, 'node_modules/rollup/dist/bin/rollup'), '-c', '--silent'], { cwd: work, stdio: 'pipe' })
    const target = join(ROOT, 'dist/previous')
    mkdirSync(target, { recursive: true })
    for (const file of ['mailstitch.min.js', 'mailstitch-runner.min.js']) cpSync(join(work, 'dist', file), join(target, file))
    built = true
  } finally {
    try {
      git('worktree', 'remove', '--force', work)
    } catch {
      rmSync(work, { recursive: true, force: true })
      git('worktree', 'prune')
    }
  }
}
