import { createRequire } from 'node:module'

// The build may inject the version with esbuild `define` (no JSON plugin needed). Without it we
// read our own package.json through the package's self-reference ("./package.json" is exported),
// which works from src (tsx/vitest) and from dist, ESM or CJS.
declare const __MAILSTITCH_VERSION__: string | undefined

function readOwnVersion(): string {
  try {
    const require = createRequire(import.meta.url)
    const pkg = require('mailstitch/package.json') as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0-dev'
  } catch {
    return '0.0.0-dev'
  }
}

/** Version of mailstitch reported in `context.library.version` of every relayed event. */
export const RELAY_VERSION: string =
  typeof __MAILSTITCH_VERSION__ === 'string' ? __MAILSTITCH_VERSION__ : readOwnVersion()

/** Name reported in `context.library.name`. */
export const RELAY_NAME = 'mailstitch-relay'
