/** Console logger that is silent unless `debug` is on; never throws. */
export type Log = (...args: unknown[]) => void

/** Make a logger for the `debug` option. */
export function makeLog(debug: boolean | undefined): Log {
  return debug ? (...args) => console.info('[mailstitch]', ...args) : () => {}
}
