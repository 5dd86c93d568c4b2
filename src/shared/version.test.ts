import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { version } from './version'
import { version as exported } from '../browser/index'

describe('version', () => {
  it('equals the package.json version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(version).toBe(pkg.version)
    expect(version).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('is re-exported from the package entry', () => {
    expect(exported).toBe(version)
  })
})
