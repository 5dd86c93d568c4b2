/**
 * Test helper (src/webhook/worker.integration.test.ts; bench/webhook.ts too): the Cloudflare Worker as
 * `wrangler deploy` builds it from deploy/cloudflare/wrangler.toml. Its `main` is bundled with
 * esbuild (as wrangler does) with `mailstitch/relay/worker` resolved to the source file rollup
 * builds that export from (rollup.config.mjs → dist/relay/worker.mjs).
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { parse } from 'smol-toml'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** The wrangler configuration users deploy. */
export const WRANGLER_TOML = join(ROOT, 'deploy/cloudflare/wrangler.toml')

/** The parts of wrangler.toml the Worker's runtime set-up reads. */
export interface WranglerConfig {
  main: string
  compatibility_date: string
  vars?: Record<string, string>
  compatibility_flags?: string[]
  triggers?: { crons?: string[] }
  durable_objects?: { bindings?: Array<{ name: string; class_name: string }> }
  migrations?: Array<{ tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }>
}

/** Where a started Worker keeps its Durable Objects' storage (a folder survives a restart). */
export interface WorkerdStorage {
  /** Folder for the Durable Objects' storage; unset keeps it in memory. */
  durableObjectsPersist?: string
}

/** deploy/cloudflare/wrangler.toml, parsed. */
export function readWranglerConfig(): WranglerConfig {
  return parse(readFileSync(WRANGLER_TOML, 'utf8')) as unknown as WranglerConfig
}

/** The Worker script: the toml's `main` bundled as one ES module for a runtime with no Node APIs. */
export async function bundleWorker(config: WranglerConfig = readWranglerConfig()): Promise<string> {
  const bundle = await build({
    entryPoints: [join(dirname(WRANGLER_TOML), config.main)],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    platform: 'neutral',
    plugins: [
      {
        name: 'mailstitch-self',
        setup(b) {
          b.onResolve({ filter: /^mailstitch\/relay\/worker$/ }, () => ({ path: join(ROOT, 'src/webhook/worker.ts') }))
        },
      },
    ],
  })
  return bundle.outputFiles[0].text
}

/** The bundled Worker on workerd (miniflare) with the toml's compatibility settings, vars and Durable Object bindings, plus `bindings` (its secrets); ready to take requests. */
export async function startWorkerd(script: string, config: WranglerConfig, bindings: Record<string, string>, storage: WorkerdStorage = {}): Promise<Miniflare> {
  // A class the toml's migrations create with `new_sqlite_classes` gets SQLite-backed storage, as on Cloudflare.
  const sqlite = new Set((config.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []))
  const durableObjects: Record<string, { className: string; useSQLite: boolean }> = {}
  for (const b of config.durable_objects?.bindings ?? []) durableObjects[b.name] = { className: b.class_name, useSQLite: sqlite.has(b.class_name) }
  const mf = new Miniflare({
    durableObjects,
    ...(storage.durableObjectsPersist ? { durableObjectsPersist: storage.durableObjectsPersist } : {}),
    modules: true,
    script,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
    bindings: { ...config.vars, ...bindings },
  })
  try {
    await mf.ready
  } catch (err) {
    await mf.dispose()
    throw err
  }
  return mf
}
