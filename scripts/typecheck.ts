/**
 * `npm run typecheck`: one TypeScript configuration per runtime, each with only the globals that
 * runtime has (README, "Repository layout"), then the root configuration for tests, sandbox,
 * e2e, bench and scripts. Exits non-zero when any of them reports an error.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** One runtime's type-check configuration. */
export interface RuntimeConfig {
  /** Short name, e.g. `browser`. */
  name: string
  /** Configuration file, relative to the repository root. */
  config: string
  /** Source folders it covers. */
  folders: readonly string[]
  /** What the runtime has, in words. */
  globals: string
}

/** The runtimes of src/, narrowest globals first. */
export const RUNTIME_CONFIGS: readonly RuntimeConfig[] = [
  { name: 'shared', config: 'tsconfig.shared.json', folders: ['src/shared', 'src/journey'], globals: 'ES and the WHATWG URL only' },
  { name: 'webhook', config: 'tsconfig.webhook.json', folders: ['src/webhook'], globals: 'ES and Web APIs (fetch, Request/Response, crypto.subtle, TextEncoder)' },
  { name: 'browser', config: 'tsconfig.browser.json', folders: ['src/browser', 'src/shopify', 'src/snippet'], globals: 'ES and DOM' },
  { name: 'node', config: 'tsconfig.node.json', folders: ['src/relay', 'src/cli'], globals: 'ES and Node' },
]

/** Every configuration `npm run typecheck` runs: the runtimes, then the root one. */
export const ALL_CONFIGS: readonly string[] = [...RUNTIME_CONFIGS.map((r) => r.config), 'tsconfig.json']

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function main(): number {
  const failed: string[] = []
  for (const config of ALL_CONFIGS) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config, '--noEmit'], { cwd: ROOT, stdio: 'inherit' })
    if (r.status !== 0) failed.push(config)
  }
  console.log(failed.length ? `typecheck: errors in ${failed.join(', ')}` : `typecheck: ${ALL_CONFIGS.length} configurations clean`)
  return failed.length ? 1 : 0
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main()
