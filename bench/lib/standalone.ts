import { pathToFileURL } from 'node:url'

/**
 * Run a Node-only bench row when its own file is the one run (`node --import tsx bench/<row>.ts`):
 * print its result, exit 1 on an error. (Browser rows use `runAlone`, which starts the stack.)
 */
export function runStandalone<T>(moduleUrl: string, run: () => Promise<T>, show: (result: T) => void = (result) => console.table(result)): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return
  run().then(
    (result) => {
      show(result)
      process.exit(0)
    },
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
