// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RUNNER_FILE, runnerAddress, runnerUrl } from './runner-loader.script'
import type { Runner } from './context'
import { version } from '../../shared/version'

describe('runnerUrl', () => {
  it('replaces the script tag’s file name and keeps its query (Shopify asset_url’s cache key)', () => {
    expect(runnerUrl('https://shop.example/cdn/shop/t/12/assets/mailstitch.min.js?v=1712345')).toBe(`https://shop.example/cdn/shop/t/12/assets/${RUNNER_FILE}?v=1712345`)
    expect(runnerUrl('https://cdn.shopify.com/extensions/abc/1.0.0/assets/mailstitch.min.js')).toBe(`https://cdn.shopify.com/extensions/abc/1.0.0/assets/${RUNNER_FILE}`)
    expect(runnerUrl('http://127.0.0.1:8080/dist/mailstitch.min.js#x')).toBe(`http://127.0.0.1:8080/dist/${RUNNER_FILE}`)
    expect(runnerUrl('https://unpkg.com/mailstitch@0.2.0/dist/mailstitch.min.js')).toBe(`https://unpkg.com/mailstitch@0.2.0/dist/${RUNNER_FILE}`)
  })

  it('gives nothing without an address (an inline script, a script the page built itself)', () => {
    expect(runnerUrl(undefined)).toBeUndefined()
    expect(runnerUrl('')).toBeUndefined()
  })

  it('gives nothing for a tag not loaded by its own file name: a short CDN address must not become another package', () => {
    for (const src of ['https://unpkg.com/mailstitch', 'https://unpkg.com/mailstitch@0.2.0', 'https://cdn.jsdelivr.net/npm/mailstitch@0.2.0', 'https://shop.example/assets/theme.js', 'https://shop.example/assets/mailstitch.min.js.map']) {
      expect(runnerUrl(src), src).toBeUndefined()
    }
  })
})

describe('runnerAddress', () => {
  it('data-runner-src wins; else beside the tag’s own file', () => {
    const tag = (src: string, runnerSrc?: string) => {
      const script = document.createElement('script')
      script.src = src
      if (runnerSrc) script.dataset.runnerSrc = runnerSrc
      return script
    }
    expect(runnerAddress(tag('https://unpkg.com/mailstitch@0.2.0', 'https://unpkg.com/mailstitch@0.2.0/dist/mailstitch-runner.min.js'))).toBe('https://unpkg.com/mailstitch@0.2.0/dist/mailstitch-runner.min.js')
    expect(runnerAddress(tag('https://shop.example/assets/mailstitch.min.js?v=3'))).toBe(`https://shop.example/assets/${RUNNER_FILE}?v=3`)
    expect(runnerAddress(tag('https://shop.example/assets/theme.js'))).toBeUndefined()
    expect(runnerAddress(null)).toBeUndefined()
  })
})

describe('loadRunner', () => {
  const runner = { version, decideLanding: vi.fn(), runJob: vi.fn(), flushOutbox: vi.fn() } as unknown as Runner
  const own = 'https://shop.example/assets/mailstitch.min.js?v=7'
  let added: HTMLScriptElement[] = []

  /** The module as the script tag evaluates it: `document.currentScript` is the tag (or none). */
  async function loaderRunningFrom(src: string | undefined) {
    vi.resetModules()
    Object.defineProperty(document, 'currentScript', { configurable: true, value: src === undefined ? null : { src } })
    const module = await import('./runner-loader.script')
    Object.defineProperty(document, 'currentScript', { configurable: true, value: null })
    return module.loadRunner
  }

  // happy-dom loads no script files: the test records the script and plays the browser's part.
  vi.spyOn(document.head, 'appendChild').mockImplementation(<T extends Node>(node: T): T => {
    added.push(node as unknown as HTMLScriptElement)
    return node
  })
  const register = () => ((window as { mailstitch?: object }).mailstitch = { runner })

  afterEach(() => {
    added = []
    delete (window as { mailstitch?: object }).mailstitch
  })

  it('adds the runner’s script once, from beside the tag, and resolves what it registers', async () => {
    const loadRunner = await loaderRunningFrom(own)
    const first = loadRunner()
    const second = loadRunner()
    expect(added.map((script) => script.src)).toEqual([`https://shop.example/assets/${RUNNER_FILE}?v=7`])
    register()
    added[0]!.onload?.(new Event('load'))
    await expect(first).resolves.toBe(runner)
    await expect(second).resolves.toBe(runner)
    await expect(loadRunner()).resolves.toBe(runner)
    expect(added).toHaveLength(1)
  })

  it('rejects when the file fails or registers nothing, and tries again on the next call', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const loadRunner = await loaderRunningFrom(own)
    const failed = loadRunner()
    added[0]!.onerror?.(new Event('error'))
    await expect(failed).rejects.toBeDefined()
    // A missing file is visible without data-debug: one warning naming the address tried and data-runner-src.
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toContain(added[0]!.src)
    expect(String(warn.mock.calls[0]![0])).toContain('data-runner-src')
    warn.mockRestore()
    const empty = loadRunner()
    expect(added).toHaveLength(2)
    added[1]!.onload?.(new Event('load')) // loaded, but it registered no runner
    await expect(empty).rejects.toThrow('no runner of this release')
  })

  it('rejects at once, adding nothing, when the tag had no address, and says why on the console once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const loadRunner = await loaderRunningFrom(undefined)
    await expect(loadRunner()).rejects.toThrow('data-runner-src')
    await expect(loadRunner()).rejects.toThrow('data-runner-src')
    expect(added).toHaveLength(0)
    expect(warn).toHaveBeenCalledTimes(1)
    warn.mockRestore()
  })

  it('refuses a runner of another release (a cached file): the jobs wait for a matching one', async () => {
    const loadRunner = await loaderRunningFrom(own)
    const other = loadRunner()
    ;(window as { mailstitch?: object }).mailstitch = { runner: { ...runner, version: '0.0.1' } }
    added[0]!.onload?.(new Event('load'))
    await expect(other).rejects.toThrow('no runner of this release')
  })
})
