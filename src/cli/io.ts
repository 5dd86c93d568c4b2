/** The contract between `mailstitch` and its subcommands (kept apart so commands never import the entry point). */

/** What a command may do to the outside world; injected so commands are testable in-process. */
export interface CliIO {
  /** Write a line to stdout. */
  out(line: string): void
  /** Write a line to stderr. */
  err(line: string): void
  /**
   * Rewrite the terminal's status line on stderr ('' clears it). Given only when stderr is a
   * terminal: without it (CI, cron, pipes) commands show no progress.
   */
  status?(line: string): void
  env: Record<string, string | undefined>
  onSignal(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): void
  offSignal(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): void
  /** Exit immediately (used only for a second Ctrl-C). */
  exit(code: number): never
}

/** A subcommand: `run` gets the arguments after its name and resolves to the exit code. */
export interface Command {
  /** One line for `mailstitch --help`. */
  summary: string
  run(args: string[], io: CliIO): Promise<number>
}
