import { build } from 'esbuild'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')
let cached: Promise<string> | undefined

/** Bundle e2e/apps/npm-app.ts with the built package, as an app's bundler would (built once). */
export function npmAppBundle(): Promise<string> {
  cached ??= build({
    entryPoints: [resolve(ROOT, 'e2e/apps/npm-app.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    alias: { mailstitch: resolve(ROOT, 'dist/index.mjs') },
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text)
  return cached
}

/** HTML for the npm app page. */
export function npmAppPage(cfg: Record<string, unknown>, body = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>SPA</title><script>window.__cfg=${JSON.stringify(cfg)}</script><script src="/npm-app.js"></script></head><body>${body}</body></html>`
}
