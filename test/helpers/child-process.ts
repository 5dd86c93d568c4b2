/** Test helper: a child process whose output a test reads as it comes, and one run to its end. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { afterAll } from 'vitest'

/** Children still running: a test that failed or timed out before its child ended leaves none behind its file. */
const running = new Set<ChildProcessWithoutNullStreams>()
afterAll(() => {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
})

/** How a child ended: its exit code, or the signal that ended it. */
export interface ChildEnd {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A started child with its output so far. */
export interface WatchedChild {
  child: ChildProcessWithoutNullStreams
  /** What it wrote to stdout so far. */
  stdout(): string
  /** What it wrote to stderr so far. */
  stderr(): string
  /** Resolves once it has ended and its output is closed. */
  ended: Promise<ChildEnd>
}

/** Start `command` (`'node'` means this Node) with piped output. */
export function startChild(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): WatchedChild {
  const child = spawn(command === 'node' ? process.execPath : command, args, { cwd: options.cwd, env: options.env, stdio: 'pipe' })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  running.add(child)
  const ended = new Promise<ChildEnd>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    }),
  )
  return { child, stdout: () => stdout, stderr: () => stderr, ended }
}

/** Run `command` to its end: its exit code and all it wrote. */
export async function runChild(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startChild(command, args, options)
  const { code } = await run.ended
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}
