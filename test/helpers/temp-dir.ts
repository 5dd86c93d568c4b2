/**
 * Test helper: a fresh, empty directory under the OS temp folder for each test (or, with
 * lifetime `'file'`, one for the whole test file), removed with everything in it afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'

/** The temporary directory of the running test (or file). */
export interface TempDir {
  /** Its path; throws outside a test or hook. */
  readonly path: string
  /** A path inside it. */
  file(...names: string[]): string
}

/** Register hooks that create a directory named `prefix…` before each test (or the file) and remove it after. */
export function useTempDir(prefix: string, lifetime: 'test' | 'file' = 'test'): TempDir {
  let current: string | undefined
  const [before, after] = lifetime === 'test' ? [beforeEach, afterEach] : [beforeAll, afterAll]
  before(async () => {
    current = await mkdtemp(join(tmpdir(), prefix))
  })
  after(async () => {
    if (current) await rm(current, { recursive: true, force: true })
    current = undefined
  })
  const dir: TempDir = {
    get path() {
      if (!current) throw new Error(`useTempDir('${prefix}'): there is no directory outside a test`)
      return current
    },
    file: (...names) => join(dir.path, ...names),
  }
  return dir
}
