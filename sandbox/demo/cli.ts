/** The `npm run demo` command line. */
import path from 'node:path'
import { HELP, demoOptionsFromArgs } from './options'
import { startDemo, type Demo } from './start'
import { runningBanner } from './banner'

/** `npm run demo`: parse flags, start, print the URLs, stop on a signal. */
export async function runDemoCli(): Promise<void> {
  const parsed = demoOptionsFromArgs(process.argv.slice(2), process.env)
  if (parsed === 'help') {
    console.log(HELP)
    return
  }
  if (typeof parsed === 'string') {
    console.error(`mailstitch demo: ${parsed}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  const started = Date.now()
  let demo: Demo
  try {
    demo = await startDemo({ ...parsed, log: (l) => console.log(`  · ${l}`) })
  } catch (err) {
    console.error(`mailstitch demo: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
    return
  }
  console.log(runningBanner({ urls: demo.urls, eventsFile: path.relative(process.cwd(), demo.eventsFile), startedInMs: Date.now() - started }))
  let stopping = false
  const stop = () => {
    if (stopping) process.exit(130)
    stopping = true
    console.log('\nstopping…')
    void demo.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
