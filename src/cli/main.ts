/**
 * `mailstitch` command-line entry (built to dist/cli.mjs with a `#!/usr/bin/env node` banner).
 * Subcommands live in the {@link commands} table: to add one, import its {@link Command} and add a row.
 */
import { redactSecrets } from '../shared/redact'
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { relayCommand } from './relay-command'
import { journeyCommand } from './journey-command'
import { RELAY_VERSION } from '../relay/version'
import type { CliIO, Command } from './io'

export type { CliIO, Command } from './io'

/** Subcommands by name. */
export const commands: Record<string, Command> = {
  relay: relayCommand,
  journey: journeyCommand,
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length))
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return [`Usage: mailstitch <command> [options]`, '', 'Commands:', ...rows, '', 'Run "mailstitch <command> --help" for details.'].join('\n')
}

/** Run the CLI with `argv` (without node and script) and resolve to the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    io.out(usage())
    return name ? 0 : 2
  }
  if (name === '-v' || name === '--version') {
    io.out(RELAY_VERSION)
    return 0
  }
  const command = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined
  if (!command) {
    io.err(`mailstitch: unknown command "${name}".\n\n${usage()}`)
    return 2
  }
  return command.run(rest, io)
}

/** The real process as a {@link CliIO}. */
export function processIO(): CliIO {
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    // \r and "erase line" (ECMA-48 EL): the line is redrawn in place, and '' leaves it blank.
    status: process.stderr.isTTY ? (line) => process.stderr.write(`\r\x1b[2K${line}`) : undefined,
    env: process.env,
    onSignal: (s, h) => process.on(s, h),
    offSignal: (s, h) => process.off(s, h),
    exit: (code) => process.exit(code),
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    // npm links bin files; compare real paths so the symlinked `mailstitch` still counts.
    return import.meta.url === pathToFileURL(realpathSync(script)).href
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2), processIO()).then(
    (code) => {
      process.exitCode = code
      // Idle keep-alive sockets must not hold the process open once the work is done.
      setTimeout(() => process.exit(code), 2000).unref()
    },
    (err: unknown) => {
      process.stderr.write(`mailstitch: ${redactSecrets(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`)
      process.exit(1)
    },
  )
}
